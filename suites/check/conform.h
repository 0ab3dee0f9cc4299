/* conform.h - the conformance check: every rule of CONTRACT.md on one
 * fixture, for any fork implementation given as a function.  Used by
 * `snapfork check` and by the cmocka property suites alike. */
#ifndef SNAPFORK_CONFORM_H
#define SNAPFORK_CONFORM_H

#include "check.h"
#include "sff.h"

/* Fork src into dst (which does not exist).  0 on success; otherwise
 * nonzero with what went wrong in msg. */
typedef int (*sfc_fork_fn)(void *ctx, const char *src, const char *dst, char *msg, size_t len);

enum sfc_cell { SFC_NA = 0, SFC_PASS, SFC_FAIL, SFC_SKIP };

struct sfc_row {
	char *name;             /* the fixture, or "refusal:<fixture>" */
	enum sfc_cell cell[14]; /* index = rule number, 1..13 */
	char *detail[14];       /* violations (FAIL) or the reason (SKIP) */
	double fork_ms;         /* the first fork's wall time */
	char *kept;             /* scratch kept for a failure, or NULL */
};

struct sfc_conform {
	const char *scratch;  /* where snapshots are extracted */
	const char *fork_dir; /* where forks go; NULL: beside the snapshot */
	sfc_fork_fn fork;
	void *ctx;
	int keep; /* keep scratch even when everything passed */
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
