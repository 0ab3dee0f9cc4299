/* fixture.c - judge every rule on one fixture, in the order the rules
 * allow: F6 needs the snapshot before the mapping checks touch the page
 * cache, and F8 deletes the snapshot, so it comes last. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "steps.h"

struct fixture_run {
	char snap[PATH_MAX], fork[PATH_MAX], fork2[PATH_MAX];
	char more[CONFORM_MAX_K][PATH_MAX + 16]; /* forks 3..K, beside fork */
	char mem_snap[2 * PATH_MAX], mem_fork[2 * PATH_MAX], mem_fork2[2 * PATH_MAX];
	struct judge_expect x;
	struct judge_tree tree;
	nlink_t nlink_before;
	int same_fs;
	/* The first round: k forks at once (1 as a rule; K for a concurrent
	 * row; 2 into one DST for a race row), what each returned. */
	size_t k, nok;
	const char *dst[CONFORM_MAX_K];
	int ok[CONFORM_MAX_K];
	struct conform_forked got[CONFORM_MAX_K];
};

/* The contract's view of the snapshot: which mem-file, which kind. */
static int read_snapshot(struct fixture_run *fr, char *err, size_t len)
{
	int r = judge_tree_load(fr->snap, &fr->tree, err, len);
	if (r == 0)
		r = judge_expect(&fr->tree, NULL, &fr->x);
	if (r < 0)
		return r;
	if (fr->x.kind == JUDGE_RAW) {
		snprintf(fr->mem_snap, sizeof fr->mem_snap, "%s/%s", fr->snap, fr->x.raw_rel);
		fr->nlink_before = fr->x.mem->nlink;
	}
	if (fr->x.kind != JUDGE_MEMORYLESS) {
		snprintf(fr->mem_fork, sizeof fr->mem_fork, "%s/%s", fr->fork, fr->x.raw_rel);
		snprintf(fr->mem_fork2, sizeof fr->mem_fork2, "%s/%s", fr->fork2, fr->x.raw_rel);
	}
	return 0;
}

static void mapping_rules(const struct conform_setup *c, const struct fixture *f,
				struct fixture_run *fr, struct judge_result *res, int second_ok)
{
	struct stat st;
	int have_mem = fr->x.kind != JUDGE_MEMORYLESS && lstat(fr->mem_fork, &st) == 0 &&
		       S_ISREG(st.st_mode);
	if (!have_mem) {
		conform_unprepare(c, f, fr->snap);
		return; /* memoryless, or a compressed copy only: no raw memory to map */
	}
	judge_map_private(fr->mem_fork, fr->x.kind == JUDGE_RAW ? fr->mem_snap : NULL,
			      second_ok ? fr->mem_fork2 : NULL, res);
	if (fr->x.kind == JUDGE_RAW && second_ok) {
		if (fr->same_fs && !conform_hooks_of(c)->link_refused)
			judge_page_cache(fr->mem_fork, fr->mem_fork2, fr->x.raw_rel, res);
		else
			res->checked |= 1u << 12,
				judge_skip(res, 12, "%s",
					 fr->same_fs
						 ? "link refused by the leg: no shared inode"
						 : "snapshot and forks on different filesystems");
	}
	/* Last: F8 deletes the snapshot under a live mapping. */
	conform_unprepare(c, f, fr->snap);
	judge_delete_snapshot(fr->snap, fr->mem_fork, res);
}

/* After the race, one more fork into the DST that now exists: it must
 * fail and leave that DST as it was (the same directory inode), not
 * replace it or fork into it, whatever the timing of the race. */
static void fork_into_existing(const struct conform_setup *c, struct fixture_run *fr,
			       struct judge_result *res)
{
	struct stat a, b;
	char msg[2048] = "", left[1100];
	if (lstat(fr->fork, &a) < 0)
		return;
	struct fixture none = { .umask = -1 };
	int rc = conform_fork(c, &none, fr->snap, fr->fork, msg, sizeof msg);
	conform_fork_left(c, left, sizeof left);
	conform_judge_left(left, fr->fork, res);
	if (rc == 0)
		judge_fail(res, 13, fr->fork,
			   "a fork into this existing DST reported success: it must fail and "
			   "leave DST as it was");
	if (lstat(fr->fork, &b) < 0 || a.st_ino != b.st_ino || a.st_mtim.tv_sec != b.st_mtim.tv_sec ||
	    a.st_mtim.tv_nsec != b.st_mtim.tv_nsec)
		judge_fail(res, 13, fr->fork,
			   "a fork into this existing DST replaced or changed it");
}

/* Each fork of the first round that succeeded, judged as a fork (F1-F5,
 * F9-F11, F14); one that failed while others ran fails F1 with its
 * output; F13 over all of them. */
static void round_rules(const struct conform_setup *c, struct fixture_run *fr,
			const struct conform_beside *beside, struct conform_row *row,
			struct judge_result *res)
{
	int link_refused = conform_hooks_of(c)->link_refused;
	char verr[512];
	conform_beside_judge(beside, fr->dst, fr->ok, fr->k, res); /* before fork2 joins */
	for (size_t i = 0; i < fr->k; i++) {
		conform_judge_left(fr->got[i].left, fr->dst[i], res);
		if (!fr->ok[i]) {
			if (!c->race)
				judge_fail(res, 1, fr->dst[i],
					   "fork %zu of %zu, run at once with the others, failed: %s",
					   i + 1, fr->k, fr->got[i].msg);
			continue;
		}
		if (c->race && i > 0 && fr->ok[0])
			continue; /* one DST: judged once */
		struct judge_verify_opts vo = { .mem_copied = link_refused };
		if (judge_verify(fr->snap, fr->dst[i], &vo, res, verr, sizeof verr) < 0) {
			size_t n = strlen(fr->dst[i]); /* the reason names the path: once */
			int named = strncmp(verr, fr->dst[i], n) == 0 && verr[n] == ':';
			judge_fail(res, 1, fr->dst[i], "cannot read the fork: %s",
				   named ? verr + n + 2 : verr);
		}
	}
	if (c->race && fr->nok > 1)
		judge_fail(res, 13, fr->dst[0],
			   "both forks racing into one DST reported success: a fork must fail, "
			   "not replace or merge, where DST came to exist");
	/* F11: a copied mem-file is a fallback, and a fallback is reported
	 * (CONTRACT.md, Reporting: "fallback: " in what the fork printed). */
	if (fr->x.kind == JUDGE_RAW && (res->checked & 1u << 11) &&
	    !(row->note && strstr(row->note, "fallback: ")))
		judge_fail(res, 11, fr->x.raw_rel,
			   "the mem-file was copied (%s), but the fork reported no fallback: "
			   "CONTRACT.md asks for 'fallback: WHAT (WHY)' in its output",
			   fr->same_fs ? "the link was refused" : "another filesystem");
	if (c->race)
		fork_into_existing(c, fr, res);
	size_t grew = c->race ? 1 : fr->nok;
	struct stat m;
	if (fr->x.kind == JUDGE_RAW && fr->same_fs && !link_refused &&
	    lstat(fr->mem_snap, &m) == 0 && m.st_nlink != fr->nlink_before + grew)
		judge_fail(res, 4, fr->x.raw_rel,
			   "st_nlink: expected %llu after %zu fork%s, found %llu",
			   (unsigned long long)(fr->nlink_before + grew), grew, grew == 1 ? "" : "s",
			   (unsigned long long)m.st_nlink);
}

/* The first round succeeded (one fork at least): judge it; fork again
 * (unless the round made two forks already); then the rules that need
 * the snapshot's state before and after, the mappings, deletion. */
static void forked_rules(const struct conform_setup *c, const struct fixture *f,
			 struct fixture_run *fr, const struct judge_state *before,
			 const struct conform_beside *beside, struct conform_row *row)
{
	struct judge_result res = { 0 };
	struct judge_state after;
	char verr[512], msg[2048] = "";
	round_rules(c, fr, beside, row, &res);
	int second = fr->k > 1 && !c->race && fr->ok[0] && fr->ok[1];
	if (fr->k == 1) {
		second = conform_fork(c, f, fr->snap, fr->fork2, msg, sizeof msg) == 0;
		char left2[1100];
		conform_fork_left(c, left2, sizeof left2);
		conform_judge_left(left2, fr->fork2, &res);
		if (!second)
			judge_fail(&res, 1, fr->fork2, "a second fork of the snapshot failed: %s",
				   msg);
	}
	if (judge_state_take(fr->snap, &after, verr, sizeof verr) == 0) {
		judge_state_compare(before, &after, &res);
		judge_state_free(&after);
	} else {
		judge_fail(&res, 6, fr->snap, "cannot read the snapshot after the fork: %s", verr);
	}
	if (fr->ok[0] || c->race) /* the race's DST is one path, whoever won */
		mapping_rules(c, f, fr, &res, second);
	else
		conform_unprepare(c, f, fr->snap);
	conform_fill_row(row, &res);
	judge_result_free(&res);
}

/* The fork failed where the contract allows the snapshot: one finding
 * (F1), and what a failed fork must still hold: SRC untouched (F6), no
 * DST and nothing left beside it (F13). */
static void failed_rules(const struct conform_setup *c, const struct fixture *f,
			 struct fixture_run *fr, const struct judge_state *before,
			 const struct conform_beside *beside, const char *msg,
			 struct conform_row *row)
{
	struct judge_result res = { 0 };
	struct judge_state after;
	char verr[512];
	conform_fork_failed(row, msg);
	conform_beside_judge(beside, fr->dst, fr->ok, fr->k, &res);
	for (size_t i = 0; i < fr->k; i++)
		conform_judge_left(fr->got[i].left, fr->dst[i], &res);
	if (judge_state_take(fr->snap, &after, verr, sizeof verr) == 0) {
		judge_state_compare(before, &after, &res);
		judge_state_free(&after);
	} else {
		judge_fail(&res, 6, fr->snap, "cannot read the snapshot after the fork: %s", verr);
	}
	conform_fill_row(row, &res);
	judge_result_free(&res);
	conform_unprepare(c, f, fr->snap);
}

/* The first round: one fork, or K at once (c->k), or two racing into
 * one DST (c->race).  0, or the -errno of a result that ends the run. */
static int first_round(const struct conform_setup *c, const struct fixture *f,
		       struct fixture_run *fr, struct conform_row *row, char *err, size_t len)
{
	fr->k = c->race ? 2 : c->k > 1 ? c->k : 1;
	if (fr->k > CONFORM_MAX_K)
		fr->k = CONFORM_MAX_K;
	const char *slash = strrchr(fr->fork, '/');
	for (size_t i = 0; i < fr->k; i++) {
		if (i >= 2)
			snprintf(fr->more[i - 2], sizeof fr->more[i - 2], "%.*s/fork%zu",
				 (int)(slash - fr->fork), fr->fork, i + 1);
		fr->dst[i] = i == 0 || c->race ? fr->fork : i == 1 ? fr->fork2 : fr->more[i - 2];
	}
	int r = conform_fork_many(c, f, fr->snap, fr->dst, fr->k, fr->got);
	if (r < 0)
		return snprintf(err, len, "cannot run %zu forks at once: %s", fr->k, strerror(-r)), r;
	for (size_t i = 0; i < fr->k; i++) {
		if ((r = conform_fork_fatal(fr->got[i].rc, fr->got[i].msg, err, len)) < 0)
			return r;
		fr->ok[i] = fr->got[i].rc == 0;
		fr->nok += (size_t)fr->ok[i];
		row->fork_ms = fr->got[i].ms > row->fork_ms ? fr->got[i].ms : row->fork_ms;
		if (fr->ok[i] && fr->got[i].msg[0] && !row->note)
			row->note = strdup(fr->got[i].msg);
	}
	return 0;
}

int conform_fixture(const struct conform_setup *c, const struct fixture *f,
			struct conform_row *row, char *err, size_t len)
{
	memset(row, 0, sizeof *row);
	/* "race:", "concurrent:", a place's "paths-quoting:", or both. */
	const char *how = c->race ? "race:" : c->k > 1 ? "concurrent:" : "";
	if (asprintf(&row->name, "%s%s%s%s", how, c->place ? c->place->name : "",
		     c->place ? ":" : "", f->name) < 0)
		row->name = NULL;
	row->rerun = conform_rerun_arg(f);
	struct fixture_run *fr = calloc(1, sizeof *fr);
	char *dir = conform_scratch_dir(c->scratch, f->name, err, len);
	char *fdir = c->fork_dir ? conform_scratch_dir(c->fork_dir, f->name, err, len) : NULL;
	int r = 0;
	if (!fr || !dir || (c->fork_dir && !fdir)) {
		r = -ENOMEM;
		goto out;
	}
	if ((r = conform_place_paths(c->place, dir, fdir ? fdir : dir, fr->snap, fr->fork,
				     fr->fork2, sizeof fr->snap, err, len)) < 0 ||
	    (r = conform_extract(c, f, dir, fr->snap, err, len)) < 0 ||
	    (r = conform_prepare(c, f, fr->snap, err, len)) < 0 || (r = read_snapshot(fr, err, len)) < 0)
		goto out;
	struct stat a, b;
	fr->same_fs =
		stat(fr->snap, &a) == 0 && stat(fdir ? fdir : dir, &b) == 0 && a.st_dev == b.st_dev;
	struct judge_state before;
	if ((r = judge_state_take(fr->snap, &before, err, len)) < 0)
		goto out;
	struct conform_beside beside;
	char parent[sizeof fr->fork];
	snprintf(parent, sizeof parent, "%.*s", (int)(strrchr(fr->fork, '/') - fr->fork), fr->fork);
	conform_beside_take(parent, &beside);
	if ((r = first_round(c, f, fr, row, err, len)) < 0) {
		judge_state_free(&before);
		conform_beside_free(&beside);
		goto out;
	}
	if (fr->nok == 0)
		failed_rules(c, f, fr, &before, &beside, fr->got[0].msg, row);
	else
		forked_rules(c, f, fr, &before, &beside, row);
	judge_state_free(&before);
	conform_beside_free(&beside);
out:
	if (fr) {
		judge_expect_free(&fr->x);
		judge_tree_free(&fr->tree);
	}
	if (r == 0 && (conform_row_failed(row) || c->keep)) {
		row->kept = dir;
		dir = NULL;
	}
	if (r < 0 && fr && fr->snap[0])
		conform_unprepare(c, f, fr->snap);
	if (fdir && (r < 0 || !row->kept))
		conform_drop(c, fdir);
	else if (fdir)
		row->kept_forks = strdup(fdir);
	if (dir)
		conform_drop(c, dir);
	free(dir);
	free(fdir);
	free(fr);
	return r;
}

