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

/* What a fork function returns besides 0 and FORKCMD_FAILED, for the
 * conformance check: a fork that hangs is a finding about the fork (the
 * row fails naming the limit), one that cannot be run at all, or a run
 * that a signal stops, ends the run. */
/* Below any -errno: the reference library's fork function returns those. */
#define FORKCMD_FAILED (-1)          /* failed, as a fork may (msg: why) */
#define FORKCMD_TIMEOUT (-100001)    /* past its time limit: its group was killed */
#define FORKCMD_NOT_RUN (-100002)    /* exit 126/127 on its first call: not found, not executable */
#define FORKCMD_INTERRUPTED (-100003) /* SIGINT/SIGTERM/SIGHUP came: it was stopped */

/* How long what a fork command left running gets to end by itself before
 * it is killed (child_spec.settle_ms): a job that returns early and
 * writes on is seen by the rules judged after it. */
#define FORKCMD_SETTLE_MS 3000

/* The default --fork-timeout: generous (the biggest fixture forks in
 * seconds with cp -a); a limit, not a measure. */
#define FORKCMD_TIMEOUT_S 300u

struct forkcmd {
	const char *tmpl; /* {src} and {dst} replaced, run by /bin/sh -c */
	uid_t uid;
	gid_t gid;
	int as_user;        /* run as uid:gid instead of ourselves */
	int keep_search;    /* ... keeping CAP_DAC_READ_SEARCH (child_spec) */
	unsigned timeout_s; /* per call; 0: FORKCMD_TIMEOUT_S */
	unsigned calls;     /* calls so far (the first decides FORKCMD_NOT_RUN) */
	char left[1024];    /* the last call: what it left running ("" none) */
};

/* A conform_fork_fn: ctx is a struct forkcmd.  0 when the command exits 0
 * (msg: its last line, or the fallback it named); FORKCMD_FAILED
 * otherwise (msg: the exit status and the tail of its output), or one of
 * the codes above.  The command runs in a process group of its own with
 * descriptors 0-2 only (suites/child). */
int forkcmd_run(void *ctx, const char *src, const char *dst, char *msg, size_t len);

/* What the last forkcmd_run of ctx left running when it returned
 * ("pid N: CMDLINE; ..."), or NULL: the command's processes are followed
 * wherever they go (a subreaper, suites/child/left.c). */
const char *forkcmd_left(void *ctx);

/* The template with {src} and {dst} replaced by shell-quoted src and dst;
 * malloc'd, NULL when out of memory. */
char *forkcmd_expand(const char *tmpl, const char *src, const char *dst);

/* 1 if tmpl names both {src} and {dst}, neither inside quotes (they are
 * replaced by shell-quoted words already). */
int forkcmd_template_ok(const char *tmpl);

#endif
