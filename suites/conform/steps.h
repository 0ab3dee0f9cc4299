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
/* The fork itself failed: every rule it should have met fails with msg. */
int conform_fork_failed(struct conform_row *row, const char *msg);

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
/* A fork's result that ends the run (FORKCMD_NOT_RUN, _INTERRUPTED):
 * -ENOEXEC or -EINTR with msg in err; 0 for any other. */
int conform_fork_fatal(int forked, const char *msg, char *err, size_t len);
/* What --fixture needs to rerun f's rows (conform_row.rerun); malloc'd,
 * or NULL for a layout with no tar. */
char *conform_rerun_arg(const struct fixture *f);
/* Remove a scratch directory, first letting the leg release it. */
void conform_drop(const struct conform_setup *c, const char *dir);

#endif
