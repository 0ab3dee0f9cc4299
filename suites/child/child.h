/* child.h - every process the harness starts (fork commands, QEMU, the
 * kernel and initramfs scripts, mkfs and mount, host jobs) goes through
 * here, under one discipline:
 *   - it runs in a process group of its own and is registered (a list
 *     that grows; nothing is ever dropped);
 *   - it gets descriptors 0-2 only: every other descriptor the harness
 *     opens is O_CLOEXEC, and the ones made here are too;
 *   - every wait has a deadline on the monotonic clock, in 64-bit ms;
 *   - on its deadline, or once SIGINT/SIGTERM/SIGHUP came, its whole group
 *     gets SIGTERM, then SIGKILL after a grace period, and it is reaped;
 *   - PR_SET_PDEATHSIG kills it when snapfork itself dies by SIGKILL.
 * The signal handler only records the signal and writes to an eventfd
 * (a self-pipe); the waits here see it and return -EINTR, and the command's
 * exit path calls child_stop_all().  Prefix child_.  It knows nothing of
 * forks, QEMU or kernels. */
#ifndef SNAPFORK_CHILD_H
#define SNAPFORK_CHILD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Where a child's stdout and stderr go (struct child_spec.out). */
#define CHILD_OUT_NULL (-1) /* /dev/null */
#define CHILD_OUT_PIPE (-2) /* a pipe: its read end in struct child.out */

/* No deadline: a wait that only a signal or the child's exit ends. */
#define CHILD_FOREVER INT64_MAX

struct child_spec {
	char *const *argv; /* run with execvp(argv[0], argv) */
	int out;           /* a descriptor (dup'ed to 1 and 2), CHILD_OUT_NULL or _PIPE */
	int as_user;       /* drop to uid:gid (and no supplementary groups) first */
	int keep_search;   /* with as_user: keep CAP_DAC_READ_SEARCH (ambient),
			    * to reach paths under a private directory */
	uid_t uid;
	gid_t gid;
	int err;           /* stderr: 0 the same as out, CHILD_OUT_NULL, or a descriptor */
	int grace_ms;      /* SIGTERM to SIGKILL when stopped; 0: 2 s.  A snapfork
			    * child needs more: it stops its own children and
			    * unmounts before it exits. */
	int settle_ms;     /* > 0: a command that must be finished when it returns
			    * (a fork): what it left running is named in
			    * child.left, given this long to end by itself, then
			    * killed (left.c; needs child_subreaper()).  0: what
			    * is left of its group is killed at once. */
};

/* A status that was lost (the child was reaped elsewhere): an exit code of
 * 255, never a success. */
#define CHILD_STATUS_LOST (255 << 8)

struct child {
	pid_t pid;       /* its process group's id too; 0 once reaped */
	int status;      /* its wait status, once reaped (CHILD_STATUS_LOST) */
	int out;         /* the read end of its output pipe, or -1 */
	int grace_ms;    /* from its spec */
	unsigned stragglers; /* processes still running when it exited (then
			      * killed): of its group, or with settle_ms every
			      * descendant, wherever it went */
	char left[1024];     /* with settle_ms: "pid N: COMMAND LINE; ..." */
};

int64_t child_now_ms(void);
/* now + ms; CHILD_FOREVER when ms is 0 or would overflow. */
int64_t child_deadline_ms(int64_t ms);

/* Start s->argv.  0, or -errno (out of memory, no pipe, fork failed).
 * When argv[0] cannot be run the child exits 127 with the reason on its
 * stderr, as a shell does. */
int child_start(struct child *c, const struct child_spec *s);
/* Wait for c to exit, up to deadline: 0 (reaped; c->status), -ETIMEDOUT
 * (still running), -EINTR (a signal came: see child_interrupted). */
int child_wait(struct child *c, int64_t deadline);
/* 1 if c exited (it is reaped then: c->status, and what was left of its
 * process group is killed: c->stragglers), 0 if it runs. */
int child_reaped(struct child *c);
/* For CHILD_OUT_PIPE: read its output until it exits (then what is left
 * in the pipe, up to 1 MiB, without waiting for descendants that still
 * hold it), keeping the last len - 1 bytes in tail (NUL-terminated; *have
 * its length); the pipe is closed once it exited.  Returns as child_wait. */
int child_collect(struct child *c, int64_t deadline, char *tail, size_t len, size_t *have);
/* Stop c: SIGTERM to its group, up to its grace period, SIGKILL to the
 * group, reap (10 s at most: a process stuck in the kernel stays
 * registered).  Closes c->out.  Safe on a reaped or zeroed child. */
void child_stop(struct child *c);
/* In a fork(2) of the harness that goes on running its code (no exec):
 * an eventfd of its own, no signal seen yet.  The parent's signals reach
 * it only as the parent passes them on. */
void child_signals_forked(void);
/* Make this process a subreaper (PR_SET_CHILD_SUBREAPER): orphans of its
 * children's descendants become its children, so settle_ms sees them.
 * Once per process; 0 or -errno. */
int child_subreaper(void);
/* 1 if pid is a registered child (started here, not yet collected). */
int child_registered(pid_t pid);
/* What returned commands left: this process's unregistered children and
 * their descendants, named in what ("pid N: CMDLINE; ..."), given up to
 * settle_ms to end, then killed and reaped.  Their count (left.c). */
size_t child_left_settle(int settle_ms, char *what, size_t len);
/* A process as /proc/PID/stat has it. */
struct child_proc {
	pid_t pid, ppid, pgrp;
	char state; /* R, S, D, Z, ... */
};
/* Every process now: a malloc'd array (*out, NULL-safe to free) and its
 * count. */
size_t child_procs(struct child_proc **out);
/* exit status, or 128 + the signal that ended it (after a reap). */
int child_exit_code(const struct child *c);
/* Run argv to its end with output appended to log (NULL: /dev/null),
 * up to deadline (stopped there: -ETIMEDOUT); its exit code, or -errno. */
int child_run(char *const *argv, const char *log, int64_t deadline);

/* The last non-empty line of a log child_run wrote (what a script said
 * before it failed, e.g. which package it lacks) into out; "" if none. */
void child_log_last_line(const char *log, char *out, size_t len);

/* The same for /bin/sh -c cmd. */
int child_sh(const char *cmd, const char *log, int64_t deadline);

/* s quoted for /bin/sh: 'it'\''s', whatever it holds; malloc'd, NULL
 * when out of memory. */
char *child_sh_quote(const char *s);
/* The same, but s as it is when it holds only characters the shell
 * takes literally (a fixture name, most paths): for printed commands. */
char *child_sh_word(const char *s);

/* SIGINT, SIGTERM and SIGHUP are recorded from now on (no SA_RESTART: a
 * blocked call returns EINTR).  Idempotent. */
void child_signals_install(void);
/* The signal that came, or 0. */
int child_interrupted(void);
/* A descriptor that becomes readable when a signal came, for a poll set
 * of the caller's own; -1 before child_signals_install. */
int child_signal_fd(void);
/* Stop every registered child at once: SIGTERM to every group, one grace
 * period, SIGKILL, reap (the exit path of a command). */
void child_stop_all(void);
/* How many children are registered (started and not reaped). */
size_t child_live(void);

#endif
