/* matrix.h - `snapfork matrix`: the conformance check on fresh, real
 * filesystems and under the conditions that force each fallback (root).
 *
 * One file per concern: mounts.c makes and always undoes loop images,
 * mounts and the sysctl a leg changes; legs.c holds the leg table and
 * each leg's hooks into the conformance check; summary.c prints the
 * summary, writes JUnit and saves a failed leg's artifacts; cmd_matrix.c
 * parses the command line and runs the legs in turn.
 */
#ifndef SNAPFORK_MATRIX_H
#define SNAPFORK_MATRIX_H

#include <limits.h>
#include <stddef.h>
#include <stdio.h>

#include "conform.h"

#define MATRIX_NOBODY 65534

/* ---- mounts.c: what a leg makes, undone on every exit path ---- */

/* The leg's log: every command run and its output go there; NULL: none. */
void matrix_log_open(const char *path);
void matrix_log_close(void);
FILE *matrix_log(void);
/* A command through /bin/sh, its output appended to the leg's log;
 * its exit status, 128 for a signal, -1 if it could not run. */
int matrix_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A fresh filesystem fs at base/name/mnt (a loop image, or tmpfs with
 * mkfs_opts as mount options); -1 with the reason in why. */
int matrix_make_fs(const char *base, const char *name, const char *fs, const char *mkfs_opts,
		   char *mnt, size_t len, char *why, size_t wlen);
/* Remember a mount made elsewhere (an overlay), to be undone. */
int matrix_remember(const char *path);
/* Unmount path now, if we mounted it. */
void matrix_release(const char *path);
/* Set fs.protected_hardlinks to 1, the old value restored by
 * matrix_unmount_all; 0 or -errno. */
int matrix_protect_hardlinks(void);
/* Undo everything, newest first: mounts, loop devices (waiting for the
 * kernel to detach them), images, the sysctl. */
void matrix_unmount_all(void);
/* At exit: undo everything; SIGINT/SIGTERM/SIGHUP are recorded
 * (child_interrupted) for cmd_matrix to undo everything and exit. */
void matrix_guard(void);

/* ---- legs.c: the legs ---- */

enum leg_kind { LEG_FS, LEG_OVERLAY, LEG_XDEV, LEG_IMMUTABLE, LEG_PROTECTED, LEG_LINKLIMIT,
		LEG_ENOSPC };

struct leg {
	const char *name;
	enum leg_kind kind;
	const char *fs, *mkfs_opts; /* tmpfs: mount options */
	const char *fixtures;       /* space-separated, "" for all */
	const char *what;           /* the fallback or condition it forces */
};
extern const struct leg matrix_legs[];
extern const size_t matrix_nlegs;

struct matrix_opts {
	const char *legs, *tmpl, *junit, *json, *artifacts, *self;
	unsigned fork_timeout; /* --fork-timeout S; 0: forkcmd's default */
	const char *excludes[32]; /* --exclude NAME: bundled fixtures left out */
	size_t nexcl;
	char artifacts_default[PATH_MAX + 16]; /* under the scratch base when --artifacts is not given */
};

struct leg_result {
	const struct leg *leg;
	struct conform_run run;
	char error[1200]; /* the leg could not be set up: an error, not a skip */
	char fork_desc[PATH_MAX + 64]; /* what run.fork_desc points to: it outlives the leg */
	double seconds;
	char log[PATH_MAX];
};

/* Make the leg's filesystems under base, set its condition, run the
 * conformance check there; -1 when it could not be set up (lr->error). */
int matrix_run_leg(const struct matrix_opts *o, const struct leg *leg, struct fixture *all,
		   size_t nall, const char *base, struct leg_result *lr);

/* ---- summary.c: what the matrix prints and saves ---- */

/* "[  12.3s] leg  message" on stderr. */
void matrix_progress(const char *leg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void matrix_print_summary(const struct leg_result *lr, size_t n);
int matrix_leg_failed(const struct leg_result *lr);
/* For a failed leg: its log, a tar of each kept tree, and the command
 * that reruns it. */
void matrix_save_artifacts(const struct matrix_opts *o, const struct leg_result *lr);
int matrix_write_junit(const char *path, const struct leg_result *lr, size_t n);
/* {"legs": [{"leg", "mkfs", "forces", "setup_error", "seconds", "run":
 * the conformance check's JSON}], "ok"}. */
int matrix_write_json(const char *path, const struct leg_result *lr, size_t n);

#endif
