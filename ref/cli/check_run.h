/* check_run.h - `snapfork check`: its results and how they are printed. */
#ifndef SNAPFORK_CHECK_RUN_H
#define SNAPFORK_CHECK_RUN_H

#include <stddef.h>

#include "conform.h"

struct check_run {
	struct sfc_row *rows;
	size_t n;
	const char *fork_desc; /* "reference library" or the template */
	char kernel[160], fstype[32], mount_options[512], scratch[4096];
	char capabilities[256];
	const char *repro_base; /* "snapfork check [--fork-cmd ...]" */
};

void check_print_table(const struct check_run *run);
int check_write_junit(const struct check_run *run, const char *path);
int check_write_json(const struct check_run *run, const char *path);

#endif
