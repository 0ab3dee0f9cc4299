/* cli.c - what every subcommand shares: error lines and byte counts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_usage_error(const char *cmd, const char *msg, const char *arg)
{
	fprintf(stderr, "snapfork%s%s: %s%s%s\n(see snapfork --help)\n", cmd ? " " : "",
		cmd ? cmd : "", msg, arg ? ": " : "", arg ? arg : "");
	return EXIT_USAGE;
}

void cli_error(const char *cmd, const char *path, const char *reason, int err)
{
	fprintf(stderr, "snapfork %s: %s: %s (%s)\n", cmd, path, reason ? reason : "failed",
		strerror(abs(err)));
}

const char *cli_bytes(uint64_t n, char *buf, unsigned len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)n;
	unsigned u = 0;
	while (v >= 1024 && u + 1 < sizeof unit / sizeof unit[0]) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
	return buf;
}

/* stdio keeps a failed write in the stream's error flag and drops the
 * data (glibc): fclose of a stream flushed earlier returns 0 even so.
 * Flush here to catch the errno of a last failing write; an earlier
 * failure whose errno is gone is EIO. */
int cli_fclose(FILE *f)
{
	int r = fflush(f) == 0 ? 0 : -errno;
	if (r == 0 && ferror(f))
		r = -EIO;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	return r;
}

#ifdef SNAPFORK_COVERAGE
void __gcov_dump(void);
#endif

/* gcov writes its counts at exit(); death by a signal and exec(2) skip
 * that, so the paths that end that way call this first.  A no-op unless
 * built with -DSNAPFORK_COVERAGE=ON (libgcov's __gcov_dump). */
void cli_coverage_flush(void)
{
#ifdef SNAPFORK_COVERAGE
	__gcov_dump();
#endif
}
