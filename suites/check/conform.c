/* conform.c - drive every check of one fixture, in the order the rules
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

#include "conform.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static char *scratch_dir(const char *parent, const char *name, char *err, size_t len)
{
	char *p;
	if (asprintf(&p, "%s/%s.XXXXXX", parent, name) < 0)
		return NULL;
	if (!mkdtemp(p)) {
		snprintf(err, len, "%s: cannot create: %s", p, strerror(errno));
		free(p);
		return NULL;
	}
	return p;
}

static void append(char **s, const char *line)
{
	size_t n = *s ? strlen(*s) : 0;
	char *t = realloc(*s, n + strlen(line) + 2);
	if (!t)
		return;
	if (n)
		t[n++] = '\n';
	strcpy(t + n, line);
	*s = t;
}

/* Turn a result into the row's cells. */
static void fill_row(struct sfc_row *row, const struct sfc_result *res)
{
	for (int rule = 1; rule <= 13; rule++) {
		unsigned bit = 1u << rule;
		if (res->failed & bit)
			row->cell[rule] = SFC_FAIL;
		else if (res->skipped & bit)
			row->cell[rule] = SFC_SKIP;
		else if (res->checked & bit)
			row->cell[rule] = SFC_PASS;
		if (row->cell[rule] == SFC_SKIP && res->skip_reason[rule])
			append(&row->detail[rule], res->skip_reason[rule]);
	}
	for (size_t i = 0; i < res->n; i++) {
		int rule = atoi(res->v[i].rule + 1);
		char line[1200];
		snprintf(line, sizeof line, "%s: %s", res->v[i].path, res->v[i].what);
		if (rule > 0 && rule <= 13)
			append(&row->detail[rule], line);
	}
}

static int fork_failed(struct sfc_row *row, const char *msg)
{
	for (int rule = 1; rule <= 12; rule++) {
		row->cell[rule] = SFC_FAIL;
		append(&row->detail[rule], msg);
	}
	return 0;
}

int sfc_row_failed(const struct sfc_row *row)
{
	for (int rule = 1; rule <= 13; rule++)
		if (row->cell[rule] == SFC_FAIL && !sfc_rule_is_should(rule))
			return 1;
	return 0;
}

static const struct sfc_hooks no_hooks;

static const struct sfc_hooks *hooks(const struct sfc_conform *c)
{
	return c->hooks ? c->hooks : &no_hooks;
}

static int extract(const struct sfc_conform *c, const struct sff_fixture *f, const char *dir,
		   const char *snap, char *err, size_t len)
{
	const struct sfc_hooks *h = hooks(c);
	return h->extract ? h->extract(h->ctx, f, dir, err, len)
			  : sff_extract(f->tar, snap, f->sockets, err, len);
}

static int prepare(const struct sfc_conform *c, const struct sff_fixture *f, const char *snap,
		   char *err, size_t len)
{
	const struct sfc_hooks *h = hooks(c);
	return h->prepare ? h->prepare(h->ctx, f, snap, err, len) : 0;
}

static void unprepare(const struct sfc_conform *c, const struct sff_fixture *f, const char *snap)
{
	const struct sfc_hooks *h = hooks(c);
	if (h->unprepare)
		h->unprepare(h->ctx, f, snap);
}

/* Remove a scratch directory, first letting the leg release it. */
static void drop(const struct sfc_conform *c, const char *dir)
{
	const struct sfc_hooks *h = hooks(c);
	if (!dir)
		return;
	if (h->release)
		h->release(h->ctx, dir);
	sfc_remove_tree(dir);
}

struct fixture_run {
	char snap[PATH_MAX], fork[PATH_MAX], fork2[PATH_MAX];
	char mem_snap[2 * PATH_MAX], mem_fork[2 * PATH_MAX], mem_fork2[2 * PATH_MAX];
	struct sfc_expect x;
	struct sfc_tree tree;
	nlink_t nlink_before;
	int same_fs;
};

/* The contract's view of the snapshot: which mem-file, which kind. */
static int read_snapshot(struct fixture_run *fr, char *err, size_t len)
{
	int r = sfc_tree_load(fr->snap, &fr->tree, err, len);
	if (r == 0)
		r = sfc_expect(&fr->tree, NULL, &fr->x);
	if (r < 0)
		return r;
	if (fr->x.kind == SFC_RAW) {
		snprintf(fr->mem_snap, sizeof fr->mem_snap, "%s/%s", fr->snap, fr->x.raw_rel);
		fr->nlink_before = fr->x.mem->nlink;
	}
	if (fr->x.kind != SFC_MEMORYLESS) {
		snprintf(fr->mem_fork, sizeof fr->mem_fork, "%s/%s", fr->fork, fr->x.raw_rel);
		snprintf(fr->mem_fork2, sizeof fr->mem_fork2, "%s/%s", fr->fork2, fr->x.raw_rel);
	}
	return 0;
}

static void check_mapping_rules(const struct sfc_conform *c, const struct sff_fixture *f,
				struct fixture_run *fr, struct sfc_result *res, int second_ok)
{
	struct stat st;
	int have_mem = fr->x.kind != SFC_MEMORYLESS && lstat(fr->mem_fork, &st) == 0 &&
		       S_ISREG(st.st_mode);
	if (!have_mem) {
		unprepare(c, f, fr->snap);
		return; /* memoryless, or a compressed copy only: no raw memory to map */
	}
	sfc_check_map_private(fr->mem_fork, fr->x.kind == SFC_RAW ? fr->mem_snap : NULL,
			      second_ok ? fr->mem_fork2 : NULL, res);
	if (fr->x.kind == SFC_RAW && second_ok) {
		if (fr->same_fs && !hooks(c)->link_refused)
			sfc_check_page_cache(fr->mem_fork, fr->mem_fork2, res);
		else
			res->checked |= 1u << 12,
				sfc_skip(res, 12, "%s",
					 fr->same_fs
						 ? "link refused by the leg: no shared inode"
						 : "snapshot and forks on different filesystems");
	}
	/* Last: F8 deletes the snapshot under a live mapping. */
	unprepare(c, f, fr->snap);
	sfc_check_delete_snapshot(fr->snap, fr->mem_fork, res);
}

int sfc_conform_fixture(const struct sfc_conform *c, const struct sff_fixture *f,
			struct sfc_row *row, char *err, size_t len)
{
	memset(row, 0, sizeof *row);
	row->name = strdup(f->name);
	struct fixture_run *fr = calloc(1, sizeof *fr);
	char *dir = scratch_dir(c->scratch, f->name, err, len);
	char *fdir = c->fork_dir ? scratch_dir(c->fork_dir, f->name, err, len) : NULL;
	int r = 0;
	if (!fr || !dir || (c->fork_dir && !fdir)) {
		r = -ENOMEM;
		goto out;
	}
	snprintf(fr->snap, sizeof fr->snap, "%s/snap", dir);
	snprintf(fr->fork, sizeof fr->fork, "%s/fork", fdir ? fdir : dir);
	snprintf(fr->fork2, sizeof fr->fork2, "%s/fork2", fdir ? fdir : dir);
	if ((r = extract(c, f, dir, fr->snap, err, len)) < 0 ||
	    (r = prepare(c, f, fr->snap, err, len)) < 0 || (r = read_snapshot(fr, err, len)) < 0)
		goto out;
	struct stat a, b;
	fr->same_fs =
		stat(fr->snap, &a) == 0 && stat(fdir ? fdir : dir, &b) == 0 && a.st_dev == b.st_dev;
	struct sfc_state before, after;
	if ((r = sfc_state_take(fr->snap, &before, err, len)) < 0)
		goto out;
	char msg[1024] = "";
	double t0 = now_ms();
	int forked = c->fork(c->ctx, fr->snap, fr->fork, msg, sizeof msg);
	row->fork_ms = now_ms() - t0;
	struct sfc_result res = { 0 };
	if (forked != 0) {
		char line[1200];
		snprintf(line, sizeof line, "the fork failed: %s", msg);
		fork_failed(row, line);
		unprepare(c, f, fr->snap);
	} else {
		char verr[512];
		struct sfc_verify_opts vo = { .mem_copied = hooks(c)->link_refused };
		if (msg[0])
			row->note = strdup(msg);
		if (sfc_verify(fr->snap, fr->fork, &vo, &res, verr, sizeof verr) < 0)
			sfc_fail(&res, 1, fr->fork, "cannot read the fork: %s", verr);
		struct stat m;
		if (fr->x.kind == SFC_RAW && fr->same_fs && !hooks(c)->link_refused &&
		    lstat(fr->mem_snap, &m) == 0 && m.st_nlink != fr->nlink_before + 1)
			sfc_fail(&res, 4, fr->x.raw_rel,
				 "st_nlink: expected %llu after the fork, found %llu",
				 (unsigned long long)fr->nlink_before + 1,
				 (unsigned long long)m.st_nlink);
		int second = c->fork(c->ctx, fr->snap, fr->fork2, msg, sizeof msg) == 0;
		if (!second)
			sfc_fail(&res, 1, fr->fork2, "a second fork of the snapshot failed: %s",
				 msg);
		if (sfc_state_take(fr->snap, &after, verr, sizeof verr) == 0) {
			sfc_state_compare(&before, &after, &res);
			sfc_state_free(&after);
		} else {
			sfc_fail(&res, 6, fr->snap, "cannot read the snapshot after the fork: %s",
				 verr);
		}
		check_mapping_rules(c, f, fr, &res, second);
		fill_row(row, &res);
		sfc_result_free(&res);
	}
	sfc_state_free(&before);
out:
	if (fr) {
		sfc_expect_free(&fr->x);
		sfc_tree_free(&fr->tree);
	}
	if (r == 0 && (sfc_row_failed(row) || c->keep)) {
		row->kept = dir;
		dir = NULL;
	}
	if (r < 0 && fr && fr->snap[0])
		unprepare(c, f, fr->snap);
	if (fdir && (r < 0 || !row->kept))
		drop(c, fdir);
	if (dir)
		drop(c, dir);
	free(dir);
	free(fdir);
	free(fr);
	return r;
}

/* Names in a directory, sorted and joined, to see what a fork left. */
static char *listing(const char *dir)
{
	struct sfc_tree t;
	char err[256];
	char *s = strdup("");
	if (sfc_tree_load(dir, &t, err, sizeof err) < 0)
		return s;
	for (size_t i = 0; i < t.n; i++)
		if (!strchr(t.e[i].rel, '/'))
			append(&s, t.e[i].rel);
	sfc_tree_free(&t);
	return s;
}

int sfc_conform_refusal(const struct sfc_conform *c, const struct sff_fixture *f,
			struct sfc_row *row, char *err, size_t len)
{
	memset(row, 0, sizeof *row);
	if (asprintf(&row->name, "refusal:%s", f->name) < 0)
		return -ENOMEM;
	char *dir = scratch_dir(c->scratch, "refusal", err, len);
	char *fdir = c->fork_dir ? scratch_dir(c->fork_dir, "refusal", err, len) : NULL;
	if (!dir || (c->fork_dir && !fdir)) {
		free(dir);
		return -EIO;
	}
	char snap[PATH_MAX], fork[PATH_MAX], fifo[PATH_MAX + 64];
	snprintf(snap, sizeof snap, "%s/snap", dir);
	snprintf(fork, sizeof fork, "%s/fork", fdir ? fdir : dir);
	int r = extract(c, f, dir, snap, err, len);
	struct sfc_state before, after;
	if (r == 0 && hooks(c)->plant) {
		r = hooks(c)->plant(hooks(c)->ctx, snap, err, len);
	} else if (r == 0) {
		/* Deep in the tree, so a fork has made much before it meets it. */
		struct stat st;
		snprintf(fifo, sizeof fifo, "%s/snapshots/snapshot-latest", snap);
		if (stat(fifo, &st) < 0)
			snprintf(fifo, sizeof fifo, "%s", snap);
		strncat(fifo, "/zz-planted.fifo", sizeof fifo - strlen(fifo) - 1);
		if (mkfifo(fifo, 0600) < 0) {
			snprintf(err, len, "%s: mkfifo: %s", fifo, strerror(errno));
			r = -errno;
		}
	}
	if (r == 0)
		r = sfc_state_take(snap, &before, err, len);
	if (r == 0) {
		struct sfc_result res = { 0 };
		char *was = listing(fdir ? fdir : dir), msg[1024] = "";
		res.checked |= 1u << 13;
		double t0 = now_ms();
		if (c->fork(c->ctx, snap, fork, msg, sizeof msg) == 0)
			sfc_fail(&res, 13, fork,
				 "the fork succeeded where the contract wants it to fail");
		else
			row->note = strdup(msg); /* why it failed, as it had to */
		row->fork_ms = now_ms() - t0;
		struct stat st;
		if (lstat(fork, &st) == 0)
			sfc_fail(&res, 13, fork, "DST exists after a failed fork");
		char *is = listing(fdir ? fdir : dir);
		if (strcmp(was, is) != 0)
			sfc_fail(&res, 13, fdir ? fdir : dir,
				 "entries beside DST changed (staging debris?): before [%s], after "
				 "[%s]",
				 was, is);
		if (sfc_state_take(snap, &after, err, len) == 0) {
			sfc_state_compare(&before, &after, &res);
			sfc_state_free(&after);
		}
		sfc_state_free(&before);
		fill_row(row, &res);
		sfc_result_free(&res);
		free(was);
		free(is);
	}
	if (r == 0 && (sfc_row_failed(row) || c->keep)) {
		row->kept = dir;
		dir = NULL;
	}
	if (fdir && !row->kept)
		drop(c, fdir);
	if (dir)
		drop(c, dir);
	free(dir);
	free(fdir);
	return r;
}

void sfc_row_free(struct sfc_row *row)
{
	free(row->name);
	for (int i = 0; i < 14; i++)
		free(row->detail[i]);
	free(row->kept);
	free(row->note);
	memset(row, 0, sizeof *row);
}
