/* conform.h - the conformance check: every rule of CONTRACT.md on one
 * fixture, for any fork implementation given as a function.  Used by
 * `snapfork check` and by the cmocka property suites alike. */
#ifndef SNAPFORK_CONFORM_H
#define SNAPFORK_CONFORM_H

#include "check.h"
#include "sff.h"

/* Fork src into dst (which does not exist).  0 on success (msg may then
 * say how, e.g. a fallback); otherwise nonzero with what went wrong. */
typedef int (*sfc_fork_fn)(void *ctx, const char *src, const char *dst, char *msg, size_t len);

enum sfc_cell { SFC_NA = 0, SFC_PASS, SFC_FAIL, SFC_SKIP };

struct sfc_row {
	char *name;             /* the fixture, or "refusal:<fixture>" */
	enum sfc_cell cell[14]; /* index = rule number, 1..13 */
	char *detail[14];       /* violations (FAIL) or the reason (SKIP) */
	double fork_ms;         /* the first fork's wall time */
	char *note;             /* what the fork said on success (e.g. its fallback) */
	char *kept;             /* scratch kept for a failure, or NULL */
};

/* What a filesystem leg (snapfork matrix) changes in a run; any hook may
 * be NULL.  Each gets the hooks' ctx. */
struct sfc_hooks {
	void *ctx;
	/* Make dir/snap hold the fixture (default: sff_extract into it). */
	int (*extract)(void *ctx, const struct sff_fixture *f, const char *dir, char *err,
		       size_t len);
	/* After extraction, before the snapshot's state is taken: set the
	 * leg's condition (an immutable mem-file, links up to the limit...). */
	int (*prepare)(void *ctx, const struct sff_fixture *f, const char *snap, char *err,
		       size_t len);
	/* Before F8 deletes the snapshot: undo what would stop deletion. */
	void (*unprepare)(void *ctx, const struct sff_fixture *f, const char *snap);
	/* Before dir is removed (e.g. unmount an overlay mounted on it). */
	void (*release)(void *ctx, const char *dir);
	/* Refusal rows: plant the failure (default: a FIFO deep in the tree). */
	int (*plant)(void *ctx, const char *snap, char *err, size_t len);
	/* The leg makes link(2) fail on purpose: the mem-file is a reported
	 * copy, so F4 gives way to F11's checks (bytes and holes). */
	int link_refused;
};

struct sfc_conform {
	const char *scratch;  /* where snapshots are extracted */
	const char *fork_dir; /* where forks go; NULL: beside the snapshot */
	sfc_fork_fn fork;
	void *ctx;
	int keep; /* keep scratch even when everything passed */
	const struct sfc_hooks *hooks; /* NULL: none */
};

/* Extract f, fork it twice, check F1-F12.  Returns 0 when the checks ran
 * (results in row), -errno when the fixture could not be set up (err). */
int sfc_conform_fixture(const struct sfc_conform *c, const struct sff_fixture *f,
			struct sfc_row *row, char *err, size_t len);
/* F13 (and F6): a FIFO planted in f must make the fork fail and leave no
 * DST and no debris beside it. */
int sfc_conform_refusal(const struct sfc_conform *c, const struct sff_fixture *f,
			struct sfc_row *row, char *err, size_t len);
void sfc_row_free(struct sfc_row *row);
/* 1 if any MUST rule failed in the row. */
int sfc_row_failed(const struct sfc_row *row);

#endif
