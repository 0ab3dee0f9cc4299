/* conform.h - the conformance check: every rule of CONTRACT.md on each
 * fixture, for any fork implementation given as a function, and its
 * reports (table, JUnit XML, JSON).  Used by `snapfork check`, by the
 * filesystem matrix and by the cmocka property suites alike.  The rules
 * themselves are judged by suites/judge. */
#ifndef SNAPFORK_CONFORM_H
#define SNAPFORK_CONFORM_H

#include <jansson.h>
#include <stdio.h>

#include "fixture.h"
#include "forkcmd.h"
#include "judge.h"

/* Fork src into dst (which does not exist).  0 on success (msg may then
 * say how, e.g. a fallback); otherwise nonzero with what went wrong:
 * FORKCMD_FAILED, or FORKCMD_TIMEOUT (the row fails naming the limit),
 * FORKCMD_NOT_RUN or FORKCMD_INTERRUPTED (the row is a setup error:
 * -ENOEXEC, -EINTR). */
typedef int (*conform_fork_fn)(void *ctx, const char *src, const char *dst, char *msg, size_t len);

enum conform_cell { CONFORM_NA = 0, CONFORM_PASS, CONFORM_FAIL, CONFORM_SKIP };

struct conform_row {
	char *name;             /* the fixture, or "refusal:<fixture>" */
	enum conform_cell cell[JUDGE_RULES + 1]; /* index = rule number, 1..JUDGE_RULES */
	char *detail[JUDGE_RULES + 1];       /* violations (FAIL) or the reason (SKIP) */
	double fork_ms;         /* the first fork's wall time */
	double row_ms;          /* the whole row's: setup, forks, judging */
	int fork_failed;        /* the fork failed where the contract allows it:
				 * F1 says how; the rules needing DST are skips */
	char *note;             /* what the fork said on success (e.g. its fallback) */
	char *kept;             /* scratch kept for a failure, or NULL */
	char *kept_forks;       /* with --fork-dir: where its forks were kept */
	char *rerun;            /* --fixture's argument that reruns it: a bundled
				 * fixture's name, a tar's absolute path; NULL for
				 * a generated layout (its seed reruns it) */
};

/* What a filesystem leg (snapfork matrix) changes in a run; any hook may
 * be NULL.  Each gets the hooks' ctx. */
struct conform_hooks {
	void *ctx;
	/* Make snap, which lies below the row's scratch dir (dir/snap but
	 * under a place), hold the fixture (default: fixture_extract into
	 * it). */
	int (*extract)(void *ctx, const struct fixture *f, const char *dir, const char *snap,
		       char *err, size_t len);
	/* After extraction, before the snapshot's state is taken: set the
	 * leg's condition (an immutable mem-file, links up to the limit...). */
	int (*prepare)(void *ctx, const struct fixture *f, const char *snap, char *err,
		       size_t len);
	/* Before F8 deletes the snapshot: undo what would stop deletion. */
	void (*unprepare)(void *ctx, const struct fixture *f, const char *snap);
	/* Before dir is removed (e.g. unmount an overlay mounted on it). */
	void (*release)(void *ctx, const char *dir);
	/* Refusal rows: plant the failure (default: a FIFO deep in the tree). */
	int (*plant)(void *ctx, const char *snap, char *err, size_t len);
	/* The leg makes link(2) fail on purpose: the mem-file is a reported
	 * copy, so F4 gives way to F11's checks (bytes and holes). */
	int link_refused;
};

struct conform_setup {
	const char *scratch;  /* where snapshots are extracted */
	const char *fork_dir; /* where forks go; NULL: beside the snapshot */
	conform_fork_fn fork;
	void *ctx;
	int keep; /* keep scratch even when everything passed */
	const struct conform_hooks *hooks; /* NULL: none */
	/* What the last fork left running when it returned ("pid N: ..."),
	 * or NULL: F14.  NULL function: the fork runs in process and cannot
	 * leave anything (F14 does not apply). */
	const char *(*left)(void *ctx);
	const struct conform_place *place; /* where SRC and DST live; NULL: DIR/snap, DIR/fork */
	/* The first round of a row: k > 1 forks of the snapshot at once into
	 * fork, fork2, fork3..., released together ("concurrent:NAME"); race:
	 * two forks at once into one DST, exactly one may win ("race:NAME"). */
	unsigned k;
	int race;
	unsigned concurrency; /* K of the run's concurrent rows; 0: CONFORM_K */
};

#define CONFORM_MAX_K 16
#define CONFORM_K 4 /* forks at once in a concurrent row by default */

/* A place for a row's snapshot and forks (place.c): SRC is
 * DIR/src_dir/SRC_LEAF, DST is FORKDIR/dst_dir/DST_LEAF, each passed through
 * symlink src_link (dst_link) to the first component of its dir when set.
 * The run's fixture rows run once more under each of conform_places, on
 * the refusal rows' fixture, as rows named "NAME:FIXTURE". */
struct conform_place {
	const char *name;
	const char *src_dir, *src_link, *dst_dir, *dst_link;
	/* The last components of SRC, DST and the second fork's DST: a
	 * leading '-' (an option to a tool given a relative name) and a
	 * trailing newline (lost by $(basename ...)) where they are hostile. */
	const char *src_leaf, *dst_leaf, *dst_leaf2;
};
extern const struct conform_place conform_places[];
extern const size_t conform_nplaces;

/* Extract f, fork it twice, check F1-F12.  Returns 0 when the checks ran
 * (results in row), -errno when the fixture could not be set up (err). */
int conform_fixture(const struct conform_setup *c, const struct fixture *f,
			struct conform_row *row, char *err, size_t len);
/* F13 (and F6): a FIFO planted in f must make the fork fail and leave no
 * DST and no debris beside it. */
int conform_refusal(const struct conform_setup *c, const struct fixture *f,
			struct conform_row *row, char *err, size_t len);
/* The same with a character device node planted (CONTRACT.md refuses
 * those too); a skip, with the reason, where mknod is not allowed. */
int conform_refusal_device(const struct conform_setup *c, const struct fixture *f,
			   struct conform_row *row, char *err, size_t len);
void conform_row_free(struct conform_row *row);
/* 1 if any MUST rule failed in the row. */
int conform_row_failed(const struct conform_row *row);

/* ---- a run: many rows, and how it is reported ---- */

struct conform_run {
	struct conform_row *rows;
	size_t n;
	const char *fork_desc; /* "reference library" or the template; NULL: unnamed */
	char kernel[160], fstype[32], mount_options[512], scratch[4096];
	char capabilities[256];
	/* The command that reruns a failing row, every option that shaped it
	 * shell-quoted: "snapfork check --fork-cmd '...' --scratch ..." gets
	 * " --fixture ROW->RERUN --keep" appended when repro_fixture is set;
	 * "" prints plain "snapfork check".  An array: never NULL. */
	char repro[4096];
	int repro_fixture;
	char setup_error[1200]; /* why a fixture could not be set up */
	/* More name/value pairs for the reports (JUnit properties, JSON
	 * fields), NULL-terminated, e.g. the generator's seed; or NULL. */
	const char *const *props;
};

/* The reference implementation, in process: a conform_fork_fn.  On
 * success msg says how the mem-file got there, and why when not linked. */
int conform_fork_ref(void *ctx, const char *src, const char *dst, char *msg, size_t len);

/* Kernel, filesystem, mount options and capabilities of scratch. */
void conform_describe(struct conform_run *run, const char *scratch);
/* Each fixture, then a refusal row on `refusal` (if not NULL); progress
 * on stderr.  -1 when a fixture could not be set up (run->setup_error). */
int conform_run_fixtures(struct conform_run *run, const struct conform_setup *c,
			 const struct fixture *fx, size_t n, const struct fixture *refusal);
/* 1 if any row failed a MUST rule. */
int conform_run_failed(const struct conform_run *run);
void conform_run_free(struct conform_run *run);

/* A cell's detail (violations or a skip's reason), its first max_lines
 * lines, each indented by two spaces. */
void conform_print_detail(FILE *out, const char *detail, int max_lines);
/* The table of rows x rules, then every FAIL, warning and skip. */
void conform_print_table(FILE *out, const struct conform_run *run);
int conform_write_junit(const struct conform_run *run, const char *path);
/* s as XML text or attribute value (control characters become '?'). */
void conform_xml_text(FILE *f, const char *s);
/* One <property name= value=/> line of a JUnit suite (value escaped). */
void conform_junit_property(FILE *f, const char *name, const char *value);
/* One <testsuite> of run into an open JUnit file; props are extra
 * name/value pairs, NULL-terminated. */
void conform_junit_suite(FILE *f, const struct conform_run *run, const char *suite,
			 const char *const *props);
int conform_write_json(const struct conform_run *run, const char *path);
/* The same as a jansson object (a new reference), to embed. */
json_t *conform_run_json(const struct conform_run *run);

#endif
