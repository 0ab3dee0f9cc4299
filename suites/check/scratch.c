/* scratch.c - where `snapfork check` works: the scratch directory it
 * makes in $TMPDIR (or --scratch), what a run kept there, its size and
 * how to remove it, and its removal when nothing was kept or a signal
 * stopped the run. */
#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "child.h"
#include "cli.h"

/* The scratch given, or a new one in $TMPDIR (default /var/tmp). */
int check_scratch_make(const struct check_opts *o, char *scratch, size_t len)
{
	if (o->scratch) {
		/* Said once, up front, not by every row's setup. */
		struct stat st;
		errno = 0;
		if (stat(o->scratch, &st) < 0 || !S_ISDIR(st.st_mode) ||
		    access(o->scratch, W_OK | X_OK) < 0) {
			cli_error("check", o->scratch, "--scratch: not a writable directory",
				  errno ? -errno : -ENOTDIR);
			return -1;
		}
		snprintf(scratch, len, "%s", o->scratch);
		return 0;
	}
	snprintf(scratch, len, "%s/snapfork-check.XXXXXX", cli_scratch_base(NULL));
	if (mkdtemp(scratch))
		return 0;
	cli_error("check", scratch, "cannot create the scratch directory", -errno);
	scratch[0] = '\0';
	return -1;
}

/* The scratch we made goes, unless a row kept its trees in it; after a
 * signal it goes (unless --keep) whatever was kept, and with --scratch
 * what the rows made in it does. */
void check_scratch_drop(const struct check_opts *o, const struct conform_run *run,
			const char *scratch)
{
	int sig = child_interrupted();
	if (!scratch[0] || (sig && o->keep))
		return;
	for (size_t i = 0; sig && i < run->n; i++)
		if (run->rows[i].kept)
			judge_remove_tree(run->rows[i].kept);
	if (o->scratch)
		return;
	for (size_t i = 0; !sig && i < run->n; i++)
		if (run->rows[i].kept)
			return;
	judge_remove_tree(scratch);
}

static uint64_t apparent, allocated;

static int add_size(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)path;
	(void)type;
	(void)ftw;
	if (S_ISREG(st->st_mode))
		apparent += (uint64_t)st->st_size;
	allocated += (uint64_t)st->st_blocks * 512;
	return 0;
}

void check_scratch_report(const struct check_opts *o, const struct conform_run *run,
			  const char *scratch)
{
	size_t kept = 0;
	for (size_t i = 0; i < run->n; i++)
		kept += run->rows[i].kept != NULL;
	if (!kept || !scratch[0])
		return;
	/* What the rows kept, their forks with --fork-dir included (and not
	 * the rest of a --scratch of the user's). */
	apparent = allocated = 0;
	for (size_t i = 0; i < run->n; i++) {
		if (run->rows[i].kept)
			nftw(run->rows[i].kept, add_size, 16, FTW_PHYS);
		if (run->rows[i].kept_forks)
			nftw(run->rows[i].kept_forks, add_size, 16, FTW_PHYS);
	}
	char a[32], b[32];
	printf("\nkept: %zu %s trees in %s (%s apparent, %s on disk); remove with:\n"
	       "  rm -rf",
	       kept, kept == 1 ? "row's" : "rows'", scratch, cli_bytes(apparent, a, sizeof a),
	       cli_bytes(allocated, b, sizeof b));
	/* Only what this run made: a --scratch of the user's may hold more. */
	for (size_t i = 0; i < run->n; i++) {
		char *q = run->rows[i].kept && o->scratch ? child_sh_word(run->rows[i].kept) : NULL;
		char *f = run->rows[i].kept_forks ? child_sh_word(run->rows[i].kept_forks) : NULL;
		if (q)
			printf(" %s", q);
		if (f) /* --fork-dir: the forks are elsewhere */
			printf(" %s", f);
		free(q);
		free(f);
	}
	char *q = o->scratch ? NULL : child_sh_word(scratch);
	printf("%s%s\n", q ? " " : "", q ? q : "");
	free(q);
}
