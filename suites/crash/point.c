/* point.c - one kill point (crash.h): fork the snapshot under trace.c,
 * killed at point k, then judge what is left by the contract alone: DST
 * absent, or complete (suites/judge: F1-F5, F9-F11, as `snapfork verify`
 * does), SRC as before (F6), what lies beside DST, whether the documented
 * cleanup removes it, and the mem-file's link count once DST is gone too
 * (a link left in debris would keep the snapshot's inode alive). */
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

int crash_fixture_open(const struct crash_opts *o, const struct fixture *f,
		       struct crash_fixture *cf, char *err, size_t len)
{
	memset(cf, 0, sizeof *cf);
	cf->f = f;
	snprintf(cf->dir, sizeof cf->dir, "%s/%s", o->scratch, f->name);
	snprintf(cf->snap, sizeof cf->snap, "%s/snap", cf->dir);
	snprintf(cf->parent, sizeof cf->parent, "%s/p", cf->dir);
	snprintf(cf->dst, sizeof cf->dst, "%s/fork", cf->parent);
	if (mkdir(cf->dir, 0755) < 0 || mkdir(cf->parent, 0755) < 0)
		return snprintf(err, len, "%s: %s", cf->dir, strerror(errno)), -errno;
	int r = fixture_extract(f->tar, cf->snap, f->sockets, err, len);
	if (r < 0)
		return r;
	cf->before = calloc(1, sizeof *cf->before);
	if (!cf->before)
		return -ENOMEM;
	if ((r = judge_state_take(cf->snap, cf->before, err, len)) < 0)
		return r;
	struct stat st;
	if (f->mem_file) {
		snprintf(cf->mem, sizeof cf->mem, "%s/%s", cf->snap, f->mem_file);
		if (lstat(cf->mem, &st) < 0)
			return snprintf(err, len, "%s: %s", cf->mem, strerror(errno)), -errno;
		cf->mem_links = st.st_nlink;
	}
	return 0;
}

void crash_fixture_close(struct crash_fixture *cf)
{
	if (cf->before)
		judge_state_free(cf->before);
	free(cf->before);
	cf->before = NULL;
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

static void judge_dst(struct crash_fixture *cf, struct crash_point *p)
{
	struct stat st;
	if (lstat(cf->dst, &st) < 0) {
		p->dst = CS_ABSENT;
		return;
	}
	struct judge_result res = { 0 };
	struct judge_verify_opts vo = { 0 };
	char err[512];
	if (judge_verify(cf->snap, cf->dst, &vo, &res, err, sizeof err) < 0) {
		p->dst = CS_PARTIAL;
		snprintf(p->what, sizeof p->what, "DST cannot be read: %s", err);
	} else if (res.n) {
		p->dst = CS_PARTIAL;
		snprintf(p->what, sizeof p->what, "DST exists but is not a whole fork: %s %s: %s",
			 res.v[0].rule, res.v[0].path ? res.v[0].path : "", res.v[0].what);
	} else {
		p->dst = CS_COMPLETE;
	}
	judge_result_free(&res);
}

static void judge_src(struct crash_fixture *cf, struct crash_point *p)
{
	struct judge_state now;
	struct judge_result res = { 0 };
	char err[512];
	if (judge_state_take(cf->snap, &now, err, sizeof err) < 0) {
		p->src_changed = 1;
		snprintf(p->what, sizeof p->what, "SRC cannot be read: %s", err);
		return;
	}
	judge_state_compare(cf->before, &now, &res);
	if (res.n) {
		p->src_changed = 1;
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
 * removed too, the mem-file's links are what they were. */
static void judge_cleanup(const struct crash_opts *o, struct crash_fixture *cf,
			  struct crash_point *p)
{
	char left[512];
	p->debris = beside(cf->parent, left, sizeof left);
	if (p->debris && o->clean_tmpl) {
		char *cmd = expand_dir(o->clean_tmpl, cf->parent);
		if (cmd)
			child_sh(cmd, NULL, child_deadline_ms((int64_t)o->timeout_s * 1000));
		free(cmd);
	}
	if (p->debris && beside(cf->parent, left, sizeof left)) {
		p->not_cleaned = 1;
		if (!p->what[0])
			snprintf(p->what, sizeof p->what, "left beside DST%s: %s",
				 o->clean_tmpl ? " after the cleanup" : " (no cleanup given)", left);
	}
	judge_remove_tree(cf->dst);
	struct stat st;
	if (cf->mem[0] && lstat(cf->mem, &st) == 0 && st.st_nlink != cf->mem_links) {
		p->not_cleaned = 1;
		if (!p->what[0])
			snprintf(p->what, sizeof p->what,
				 "the mem-file has %lu links once DST is gone, %lu before the fork",
				 (unsigned long)st.st_nlink, (unsigned long)cf->mem_links);
	}
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
	return fixture_extract(cf->f->tar, cf->snap, cf->f->sockets, err, len);
}

int crash_point_run(const struct crash_opts *o, struct crash_fixture *cf, unsigned k,
		    struct crash_trace *tr, struct crash_point *p, char *err, size_t len)
{
	memset(p, 0, sizeof *p);
	char *cmd = forkcmd_expand(o->fork_tmpl, cf->snap, cf->dst);
	if (!cmd)
		return -ENOMEM;
	char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	tr->kill_at = k;
	int r = crash_trace_run(argv, tr,
				child_deadline_ms((int64_t)(o->timeout_s ? o->timeout_s : 300) * 1000));
	free(cmd);
	if (r == -EINTR)
		return snprintf(err, len, "stopped by signal %d", child_interrupted()), r;
	if (r == -ETIMEDOUT)
		snprintf(p->what, sizeof p->what, "the fork did not end within %u s (killed)",
			 o->timeout_s ? o->timeout_s : 300);
	else if (r < 0)
		return snprintf(err, len, "cannot trace the fork: %s", strerror(-r)), r;
	judge_dst(cf, p);
	judge_src(cf, p);
	judge_cleanup(o, cf, p);
	return reset(cf, p, err, len);
}
