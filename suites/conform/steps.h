/* steps.h - inside the conformance check: the steps its rows are made
 * of, shared by fixture.c (a fixture's row) and refusal.c (a refusal row).
 * Not used outside suites/conform. */
#ifndef SNAPFORK_CONFORM_STEPS_H
#define SNAPFORK_CONFORM_STEPS_H

#include <stddef.h>

#include "conform.h"

double conform_now_ms(void);
/* parent/name.XXXXXX, made; NULL with the reason in err. */
char *conform_scratch_dir(const char *parent, const char *name, char *err, size_t len);
/* Append line to the newline-separated *s. */
void conform_append(char **s, const char *line);
/* A judge's result as the row's cells and details. */
void conform_fill_row(struct conform_row *row, const struct judge_result *res);
/* The fork failed on a layout the contract allows: one finding, F1's
 * (there is no DST to hold SRC's entries), with msg; the rules that need
 * the fork's output are not judged (skip, saying so).  F6 and F13 are
 * the caller's to judge. */
void conform_fork_failed(struct conform_row *row, const char *msg);

/* The names in DST's parent before a fork (beside.c), to judge F13 after
 * it: a failed fork leaves them as they were, a successful one adds DST
 * and nothing else. */
struct conform_beside {
	char **name; /* sorted */
	size_t n;
	int bad; /* could not be listed: F13's listing is not judged */
};
int conform_beside_take(const char *parent, struct conform_beside *b);
/* F13 after forks into dst[0..n) (one parent; ok[i]: fork i reported
 * success; the same path twice for two forks racing into one DST). */
void conform_beside_judge(const struct conform_beside *before, const char *const *dst,
			  const int *ok, size_t n, struct judge_result *res);
void conform_beside_free(struct conform_beside *b);

/* The leg's hooks (never NULL) and the defaults where it sets none. */
const struct conform_hooks *conform_hooks_of(const struct conform_setup *c);
int conform_extract(const struct conform_setup *c, const struct fixture *f, const char *dir,
		    const char *snap, char *err, size_t len);
int conform_prepare(const struct conform_setup *c, const struct fixture *f, const char *snap,
		    char *err, size_t len);
void conform_unprepare(const struct conform_setup *c, const struct fixture *f, const char *snap);
/* c's fork of src into dst, under the fixture's umask when it names one
 * (the generated layouts' umask dimension). */
int conform_fork(const struct conform_setup *c, const struct fixture *f, const char *src,
		 const char *dst, char *msg, size_t len);
/* Right after a fork: what it left running (c->left) into left, "" for
 * nothing, "-" when c cannot tell (a fork in process). */
void conform_fork_left(const struct conform_setup *c, char *left, size_t len);
/* F14 from that: a fork is finished when it returns. */
void conform_judge_left(const char *left, const char *dst, struct judge_result *res);
/* One of K forks run at once (many.c): its result, wall time, output
 * (msg) and what it left running (as conform_fork_left). */
struct conform_forked {
	int rc;
	double ms;
	char msg[2048];
	char left[1100];
};
/* Fork src into dst[0..k) at once (k <= CONFORM_MAX_K), each in a helper
 * process released together; out[i] for dst[i].  k == 1: in this
 * process.  0, or -errno when the helpers could not all be started. */
int conform_fork_many(const struct conform_setup *c, const struct fixture *f, const char *src,
		      const char *const *dst, size_t k, struct conform_forked *out);
/* A fork's result that ends the run (FORKCMD_NOT_RUN, _INTERRUPTED):
 * -ENOEXEC or -EINTR with msg in err; 0 for any other. */
int conform_fork_fatal(int forked, const char *msg, char *err, size_t len);
/* What --fixture needs to rerun f's rows (conform_row.rerun); malloc'd,
 * or NULL for a layout with no tar. */
char *conform_rerun_arg(const struct fixture *f);
/* A row's SRC and DST paths (and the second fork's) under p, its
 * directories and symlinks made below dir (SRC) and fdir (DST); p NULL:
 * dir/snap, fdir/fork, fdir/fork2.  0 or -errno (err). */
int conform_place_paths(const struct conform_place *p, const char *dir, const char *fdir,
			char *snap, char *fork, char *fork2, size_t len, char *err, size_t elen);
/* Remove a scratch directory, first letting the leg release it. */
void conform_drop(const struct conform_setup *c, const char *dir);

#endif
