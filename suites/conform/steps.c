/* steps.c - the steps every row of the conformance check is made of:
 * scratch directories, the leg's hooks, turning a judge's result into
 * the row's cells. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "steps.h"

double conform_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

char *conform_scratch_dir(const char *parent, const char *name, char *err, size_t len)
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

void conform_append(char **s, const char *line)
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

/* s with its control characters written as \n, \t or \xNN: a detail is
 * one line per violation, and the paths-quoting row's names hold them. */
static void escaped(const char *s, char *out, size_t len)
{
	size_t k = 0;
	for (; *s && k + 5 < len; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\n' || c == '\t')
			k += (size_t)snprintf(out + k, len - k, "\\%c", c == '\n' ? 'n' : 't');
		else if (c < 0x20 || c == 0x7f)
			k += (size_t)snprintf(out + k, len - k, "\\x%02x", c);
		else
			out[k++] = (char)c;
	}
	out[k] = '\0';
}

/* Turn a result into the row's cells. */
void conform_fill_row(struct conform_row *row, const struct judge_result *res)
{
	for (int rule = 1; rule <= JUDGE_RULES; rule++) {
		unsigned bit = 1u << rule;
		if (res->failed & bit)
			row->cell[rule] = CONFORM_FAIL;
		else if (res->skipped & bit)
			row->cell[rule] = CONFORM_SKIP;
		else if (res->checked & bit)
			row->cell[rule] = CONFORM_PASS;
		if (row->cell[rule] == CONFORM_SKIP && res->skip_reason[rule])
			conform_append(&row->detail[rule], res->skip_reason[rule]);
	}
	for (size_t i = 0; i < res->n; i++) {
		int rule = atoi(res->v[i].rule + 1);
		char line[1900], path[600], what[1200];
		escaped(res->v[i].path, path, sizeof path);
		escaped(res->v[i].what, what, sizeof what);
		snprintf(line, sizeof line, "%s: %s", path, what);
		if (rule > 0 && rule <= JUDGE_RULES)
			conform_append(&row->detail[rule], line);
	}
}

void conform_fork_failed(struct conform_row *row, const char *msg)
{
	row->fork_failed = 1;
	row->cell[1] = CONFORM_FAIL;
	conform_append(&row->detail[1], "the fork failed:");
	conform_append(&row->detail[1], msg);
	for (int rule = 2; rule <= 12; rule++) {
		if (rule == 6)
			continue; /* SRC is there to judge */
		row->cell[rule] = CONFORM_SKIP;
		conform_append(&row->detail[rule], "not judged: the fork failed (F1)");
	}
}

int conform_row_failed(const struct conform_row *row)
{
	for (int rule = 1; rule <= JUDGE_RULES; rule++)
		if (row->cell[rule] == CONFORM_FAIL && !judge_rule_is_should(rule))
			return 1;
	return 0;
}

static const struct conform_hooks no_hooks;

const struct conform_hooks *conform_hooks_of(const struct conform_setup *c)
{
	return c->hooks ? c->hooks : &no_hooks;
}

int conform_extract(const struct conform_setup *c, const struct fixture *f, const char *dir,
		   const char *snap, char *err, size_t len)
{
	const struct conform_hooks *h = conform_hooks_of(c);
	return h->extract ? h->extract(h->ctx, f, dir, snap, err, len)
			  : fixture_extract(f->tar, snap, f->sockets, err, len);
}

int conform_prepare(const struct conform_setup *c, const struct fixture *f, const char *snap,
		   char *err, size_t len)
{
	const struct conform_hooks *h = conform_hooks_of(c);
	return h->prepare ? h->prepare(h->ctx, f, snap, err, len) : 0;
}

void conform_unprepare(const struct conform_setup *c, const struct fixture *f, const char *snap)
{
	const struct conform_hooks *h = conform_hooks_of(c);
	if (h->unprepare)
		h->unprepare(h->ctx, f, snap);
}

/* Remove a scratch directory, first letting the leg release it. */
void conform_drop(const struct conform_setup *c, const char *dir)
{
	const struct conform_hooks *h = conform_hooks_of(c);
	if (!dir)
		return;
	if (h->release)
		h->release(h->ctx, dir);
	judge_remove_tree(dir);
}

void conform_row_free(struct conform_row *row)
{
	free(row->name);
	for (int i = 0; i <= JUDGE_RULES; i++)
		free(row->detail[i]);
	free(row->kept);
	free(row->kept_forks);
	free(row->note);
	free(row->rerun);
	memset(row, 0, sizeof *row);
}

int conform_fork(const struct conform_setup *c, const struct fixture *f, const char *src,
		 const char *dst, char *msg, size_t len)
{
	mode_t old = f->umask >= 0 ? umask((mode_t)f->umask) : 0;
	int r = c->fork(c->ctx, src, dst, msg, len);
	if (f->umask >= 0)
		umask(old);
	return r;
}

void conform_fork_left(const struct conform_setup *c, char *left, size_t len)
{
	const char *l = c->left ? c->left(c->ctx) : NULL;
	snprintf(left, len, "%s", c->left ? l ? l : "" : "-");
}

void conform_judge_left(const char *left, const char *dst, struct judge_result *res)
{
	if (!strcmp(left, "-"))
		return; /* in process: nothing it could leave */
	res->checked |= 1u << 14;
	if (left[0])
		judge_fail(res, 14, dst,
			   "still running when the fork returned (given %.1f s to end, then "
			   "killed): %s",
			   FORKCMD_SETTLE_MS / 1000.0, left);
}

int conform_fork_fatal(int forked, const char *msg, char *err, size_t len)
{
	if (forked != FORKCMD_NOT_RUN && forked != FORKCMD_INTERRUPTED)
		return 0;
	snprintf(err, len, "%s", msg);
	return forked == FORKCMD_NOT_RUN ? -ENOEXEC : -EINTR;
}

char *conform_rerun_arg(const struct fixture *f)
{
	if (!f->tar)
		return NULL;
	const char *dir = fixture_dir();
	size_t n = strlen(dir);
	if (strncmp(f->tar, dir, n) == 0 && f->tar[n] == '/')
		return strdup(f->name);
	char real[PATH_MAX];
	return strdup(realpath(f->tar, real) ? real : f->tar);
}
