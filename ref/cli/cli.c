/* cli.c - what every subcommand shares: error lines, byte counts, report
 * files. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fcntl.h>
#include <getopt.h>

#include "cli.h"

int cli_usage_error(const char *cmd, const char *msg, const char *arg)
{
	/* One line, and the command's own help. */
	fprintf(stderr, "snapfork%s%s: %s%s%s (see snapfork%s%s --help)\n", cmd ? " " : "",
		cmd ? cmd : "", msg, arg ? ": " : "", arg ? arg : "", cmd ? " " : "", cmd ? cmd : "");
	return EXIT_USAGE;
}

int cli_bad_option(const char *cmd, int c, char *const argv[])
{
	/* opterr is 0 (main.c): this is the one line; the element getopt
	 * stopped at is argv[optind - 1]. */
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	if (c == ':')
		return cli_usage_error(cmd, "option needs an argument", arg);
	return cli_usage_error(cmd, "unknown option", arg);
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
	if (f != stdout && fclose(f) != 0 && r == 0)
		r = -errno;
	return r;
}

FILE *cli_report_open(const char *path)
{
	return strcmp(path, "-") == 0 ? stdout : fopen(path, "we");
}

int cli_report_writable(const char *path)
{
	struct stat st;
	if (strcmp(path, "-") == 0)
		return 0;
	if (stat(path, &st) == 0)
		return S_ISDIR(st.st_mode) ? -EISDIR : access(path, W_OK) < 0 ? -errno : 0;
	if (errno != ENOENT)
		return -errno;
	/* A new file: its directory must take it. */
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) + (slash == path) : 1,
		 slash ? path : ".");
	return access(dir, W_OK | X_OK) < 0 ? -errno : 0;
}

int cli_reports_writable(const char *cmd, const char *junit, const char *json)
{
	const char *const opt[2][2] = { { "--junit", junit }, { "--json", json } };
	if (junit && json && !strcmp(junit, "-") && !strcmp(json, "-"))
		return cli_usage_error(cmd, "only one of --json and --junit can be - (stdout)", NULL),
		       -1;
	for (int i = 0; i < 2; i++) {
		int e = opt[i][1] ? cli_report_writable(opt[i][1]) : 0;
		if (e < 0) {
			char why[64];
			snprintf(why, sizeof why, "%s: cannot write the report there", opt[i][0]);
			cli_error(cmd, opt[i][1], why, e);
			return -1;
		}
	}
	return 0;
}

int cli_stdout_aside(const char *junit, const char *json)
{
	if (!(json && !strcmp(json, "-")) && !(junit && !strcmp(junit, "-")))
		return -1;
	fflush(stdout);
	int saved = fcntl(1, F_DUPFD_CLOEXEC, 3);
	if (saved >= 0)
		dup2(2, 1);
	return saved;
}

void cli_stdout_back(int *saved)
{
	if (*saved < 0)
		return;
	fflush(stdout);
	dup2(*saved, 1);
	close(*saved);
	*saved = -1;
}

#ifdef SNAPFORK_COVERAGE
void __gcov_dump(void);
#endif

const char *cli_scratch_base(const char *given)
{
	const char *t = getenv("TMPDIR");
	return given ? given : t && *t ? t : "/var/tmp";
}

/* gcov writes its counts at exit(); death by a signal and exec(2) skip
 * that, so the paths that end that way call this first.  A no-op unless
 * built with -DSNAPFORK_COVERAGE=ON (libgcov's __gcov_dump). */
void cli_coverage_flush(void)
{
#ifdef SNAPFORK_COVERAGE
	__gcov_dump();
#endif
}
