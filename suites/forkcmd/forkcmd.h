/* forkcmd.h - run a fork implementation given as a command template.
 *
 * The template is run with /bin/sh -c after {src} and {dst} are replaced
 * by shell-quoted absolute paths; its output is kept for the report.  The
 * process runner knows nothing of rules or fixtures: the conformance
 * check (suites/conform) calls it as its fork function.
 */
#ifndef SNAPFORK_FORKCMD_H
#define SNAPFORK_FORKCMD_H

#include <stddef.h>
#include <sys/types.h>

struct forkcmd {
	const char *tmpl; /* {src} and {dst} replaced, run by /bin/sh -c */
	uid_t uid;
	gid_t gid;
	int as_user; /* run as uid:gid instead of ourselves */
};

/* A conform_fork_fn: ctx is a struct forkcmd.  0 when the command exits 0
 * (msg: its last line, or the fallback it named); -1 otherwise (msg: the
 * exit status and the tail of its output). */
int forkcmd_run(void *ctx, const char *src, const char *dst, char *msg, size_t len);

/* The template with {src} and {dst} replaced by shell-quoted src and dst;
 * malloc'd, NULL when out of memory. */
char *forkcmd_expand(const char *tmpl, const char *src, const char *dst);

/* 1 if tmpl names both {src} and {dst}. */
int forkcmd_template_ok(const char *tmpl);

#endif
