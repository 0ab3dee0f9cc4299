/* point.c - one kill point (crash.h): fork the snapshot under trace.c,
 * killed at point k, then judge what is left by the contract alone: DST
 * absent, or complete (suites/judge: F1-F5, F9-F11, as `snapfork verify`
 * does), SRC as before (F6), what lies beside DST, whether the documented
 * cleanup removes it, and the link counts of SRC's files once DST is gone
 * too (a link left in debris would keep the snapshot's inode alive). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child.h"
#include "crash.h"
#include "forkcmd.h"
#include "judge.h"
#include "layout.h"

/* What SRC is before a fork: its state (F6) and its files' link counts;
 * again after it is made anew (new mtimes, new inodes). */
static int take_before(struct crash_fixture *cf, char *err, size_t len)
{
	if (cf->before)
		judge_state_free(cf->before);
	free(cf->before);
	crash_links_free(&cf->links);
	cf->before = calloc(1, sizeof *cf->before);
	if (!cf->before)
		return snprintf(err, len, "out of memory"), -ENOMEM;
	int r = judge_state_take(cf->snap, cf->before, err, len);
	if (r == 0 && (r = crash_links_take(cf->snap, &cf->links)) < 0)
		snprintf(err, len, "%s: cannot read its link counts: %s", cf->snap, strerror(-r));
	return r;
}

/* Make cf->snap hold the row's snapshot. */
static int make(const struct crash_fixture *cf, char *err, size_t len)
{
	const struct crash_source *s = cf->src;
	return s->l ? layout_build(s->l, cf->snap, err, len)
		    : fixture_extract(s->f->tar, cf->snap, s->f->sockets, err, len);
}

int crash_fixture_open(const struct crash_opts *o, const struct crash_source *src,
		       struct crash_fixture *cf, char *err, size_t len)
{
	static unsigned seq; /* two --fixture tars may share a name */
	memset(cf, 0, sizeof *cf);
	cf->src = src;
	snprintf(cf->dir, sizeof cf->dir, "%s/%u-%s", o->scratch, seq++, src->name);
	snprintf(cf->snap, sizeof cf->snap, "%s/snap", cf->dir);
	snprintf(cf->parent, sizeof cf->parent, "%s/p", cf->dir);
	snprintf(cf->dst, sizeof cf->dst, "%s/fork", cf->parent);
	snprintf(cf->log, sizeof cf->log, "%s/fork.log", cf->dir);
	if (mkdir(cf->dir, 0755) < 0)
		return snprintf(err, len, "%s: %s", cf->dir, strerror(errno)), -errno;
	if (mkdir(cf->parent, 0755) < 0)
		return snprintf(err, len, "%s: %s", cf->parent, strerror(errno)), -errno;
	int r = make(cf, err, len);
	return r < 0 ? r : take_before(cf, err, len);
}

void crash_fixture_close(struct crash_fixture *cf)
{
	if (cf->before)
		judge_state_free(cf->before);
	free(cf->before);
	cf->before = NULL;
	crash_links_free(&cf->links);
	if (cf->dir[0])
		judge_remove_tree(cf->dir);
}

/* The entries of dir but "fork", joined as "a, b" into out; their count. */
static int beside(const char *dir, char *out, size_t len)
{
	DIR *d = opendir(dir);
	int n = 0;
	size_t k = 0;
	out[0] = '\0';
	for (struct dirent *de; d && (de = readdir(d));) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    !strcmp(de->d_name, "fork"))
			continue;
		n++;
		if (k + 1 < len)
			k += (size_t)snprintf(out + k, len - k, "%s%s", k ? ", " : "", de->d_name);
	}
	if (d)
		closedir(d);
	return n;
}

void crash_judge_dst(const char *snap, const char *dst, struct crash_point *p)
{
	struct stat st;
	if (lstat(dst, &st) < 0) {
		/* Only ENOENT is absence: EIO or EUCLEAN from a recovered
		 * filesystem is damage. */
		int e = errno;
		p->dst = e == ENOENT ? CS_ABSENT : CS_PARTIAL;
		if (e != ENOENT)
			snprintf(p->what, sizeof p->what, "DST cannot be looked at: %s", strerror(e));
		return;
	}
	struct judge_result res = { 0 };
	struct judge_verify_opts vo = { 0 };
	char err[512];
	if (judge_verify(snap, dst, &vo, &res, err, sizeof err) < 0) {
		p->dst = CS_PARTIAL;
		snprintf(p->what, sizeof p->what, "DST cannot be read: %s", err);
	} else if (res.n) {
		p->dst = CS_PARTIAL;
		p->failed |= res.failed;
		snprintf(p->what, sizeof p->what, "DST exists but is not a whole fork: %s %s: %s",
			 res.v[0].rule, res.v[0].path ? res.v[0].path : "", res.v[0].what);
	} else {
		p->dst = CS_COMPLETE;
	}
	judge_result_free(&res);
}

void crash_judge_src(const char *snap, const struct judge_state *before, struct crash_point *p)
{
	struct judge_state now;
	struct judge_result res = { 0 };
	char err[512];
	if (judge_state_take(snap, &now, err, sizeof err) < 0) {
		p->src_changed = 1;
		p->failed |= 1u << 6;
		snprintf(p->what, sizeof p->what, "SRC cannot be read: %s", err);
		return;
	}
	judge_state_compare(before, &now, &res);
	if (res.n) {
		p->src_changed = 1;
		p->failed |= 1u << 6;
		if (!p->what[0])
			snprintf(p->what, sizeof p->what, "SRC changed (F6): %s: %s",
				 res.v[0].path ? res.v[0].path : "", res.v[0].what);
	}
	judge_result_free(&res);
	judge_state_free(&now);
}

/* tmpl with each {dir} replaced by dir, shell-quoted; malloc'd. */
static char *expand_dir(const char *tmpl, const char *dir)
{
	char *q = child_sh_quote(dir), *out = NULL;
	size_t n = 0;
	FILE *f = q ? open_memstream(&out, &n) : NULL;
	for (const char *p = tmpl; f && *p;)
		if (strncmp(p, "{dir}", 5) == 0)
			fputs(q, f), p += 5;
		else
			fputc(*p++, f);
	if (f)
		fclose(f);
	free(q);
	return out;
}

/* The documented cleanup, then nothing may be left but DST; with DST
 * removed too, SRC's files have the links they had. */
static void judge_cleanup(const struct crash_opts *o, struct crash_fixture *cf,
			  struct crash_point *p)
{
	char left[512], said[64] = "";
	p->debris = beside(cf->parent, left, sizeof left);
	if (p->debris && o->clean_tmpl) {
		char *cmd = expand_dir(o->clean_tmpl, cf->parent);
		int rc = cmd ? child_sh(cmd, NULL,
					 child_deadline_ms((int64_t)(o->timeout_s ? o->timeout_s : 300) *
							   1000))
			     : -ENOMEM;
		free(cmd);
		if (rc != 0)
			snprintf(said, sizeof said, " (the cleanup %s %d)",
				 rc < 0 ? "could not run:" : "exited", rc < 0 ? -rc : rc);
	}
	if (p->debris && beside(cf->parent, left, sizeof left)) {
		p->not_cleaned = 1;
		if (!p->what[0])
			snprintf(p->what, sizeof p->what, "left beside DST%s%s: %s",
				 o->clean_tmpl ? " after the cleanup" : " (no cleanup given)", said,
				 left);
	}
	judge_remove_tree(cf->dst);
	struct crash_links now;
	char what[600];
	if (crash_links_take(cf->snap, &now) == 0 &&
	    crash_links_differ(&cf->links, &now, what, sizeof what)) {
		p->not_cleaned = 1;
		if (!p->what[0])
			snprintf(p->what, sizeof p->what, "%s", what);
	}
	crash_links_free(&now);
}

/* Back to a snapshot as extracted and an empty parent. */
static int reset(struct crash_fixture *cf, const struct crash_point *p, char *err, size_t len)
{
	judge_remove_tree(cf->parent);
	if (mkdir(cf->parent, 0755) < 0)
		return snprintf(err, len, "%s: %s", cf->parent, strerror(errno)), -errno;
	if (!p->src_changed)
		return 0;
	judge_remove_tree(cf->snap);
	int r = make(cf, err, len);
	return r < 0 ? r : take_before(cf, err, len);
}

int crash_point_run(const struct crash_opts *o, struct crash_fixture *cf, unsigned k,
		    struct crash_trace *tr, struct crash_point *p, char *err, size_t len)
{
	memset(p, 0, sizeof *p);
	char *cmd = forkcmd_expand(o->fork_tmpl, cf->snap, cf->dst);
	if (!cmd)
		return snprintf(err, len, "out of memory"), -ENOMEM;
	char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	tr->kill_at = k;
	int r = crash_trace_run(
		argv, cf->log, tr,
		child_deadline_ms((int64_t)(o->timeout_s ? o->timeout_s : 300) * 1000));
	free(cmd);
	if (r == -EINTR)
		return snprintf(err, len, "stopped by signal %d", child_interrupted()), r;
	if (r == -EPERM)
		return snprintf(err, len,
				"ptrace is refused here (PTRACE_TRACEME: a seccomp "
				"profile, or Yama's ptrace_scope 3)"),
		       r;
	if (r == -ETIMEDOUT)
		snprintf(p->what, sizeof p->what, "the fork did not end within %u s (killed)",
			 o->timeout_s ? o->timeout_s : 300);
	else if (r < 0)
		return snprintf(err, len, "cannot trace the fork: %s", strerror(-r)), r;
	crash_judge_dst(cf->snap, cf->dst, p);
	crash_judge_src(cf->snap, cf->before, p);
	judge_cleanup(o, cf, p);
	return reset(cf, p, err, len);
}
