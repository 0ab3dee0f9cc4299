/* check_run.h - `snapfork check`: its results and how they are printed. */
#ifndef SNAPFORK_CHECK_RUN_H
#define SNAPFORK_CHECK_RUN_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "conform.h"

struct check_run {
	struct sfc_row *rows;
	size_t n;
	const char *fork_desc; /* "reference library" or the template */
	char kernel[160], fstype[32], mount_options[512], scratch[4096];
	char capabilities[256];
	const char *repro_base; /* "snapfork check [--fork-cmd ...]" */
	char setup_error[1200]; /* why a fixture could not be set up */
};

/* Fork callbacks for sfc_conform: the reference library, or a command. */
struct fork_cmd {
	const char *tmpl; /* {src} and {dst} replaced, run by /bin/sh -c */
	uid_t uid;
	gid_t gid;
	int as_user; /* run as uid:gid instead of ourselves */
};
int check_fork_ref(void *ctx, const char *src, const char *dst, char *msg, size_t len);
int check_fork_cmd(void *ctx, const char *src, const char *dst, char *msg, size_t len);

/* Kernel, filesystem, mount options and capabilities of scratch. */
void check_describe(struct check_run *run, const char *scratch);
/* Each fixture, then a refusal row on `refusal` (if not NULL). */
int check_run_fixtures(struct check_run *run, const struct sfc_conform *c,
		       const struct sff_fixture *fx, size_t n, const struct sff_fixture *refusal);

void check_print_table(const struct check_run *run);
int check_write_junit(const struct check_run *run, const char *path);
/* One <testsuite> of run into an open JUnit file; props are extra
 * name/value pairs, NULL-terminated. */
void check_junit_suite(FILE *f, const struct check_run *run, const char *suite,
		       const char *const *props);
int check_write_json(const struct check_run *run, const char *path);

#endif
