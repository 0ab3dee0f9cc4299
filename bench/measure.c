/* measure.c - timing, statistics, commands, and the benchmark snapshot. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "judge.h"
#include "snapfork.h"

static double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}


struct stats bench_stats_of(double *v, unsigned n)
{
	qsort(v, n, sizeof *v, cmp_d);
	struct stats s = { v[n / 2], v[0], v[n - 1], v[(unsigned)((n - 1) * 0.99)] };
	if (n % 2 == 0)
		s.med = (v[n / 2 - 1] + v[n / 2]) / 2;
	return s;
}

void bench_die(const char *what)
{
	fprintf(stderr, "snapfork-bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Run a shell command; its wall time, and its peak RSS in KiB. */
double bench_sh(const char *cmd, long *maxrss)
{
	double t0 = bench_now();
	pid_t pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	int st;
	struct rusage ru;
	if (wait4(pid, &st, 0, &ru) < 0)
		bench_die("wait4");
	double t = bench_now() - t0;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "snapfork-bench: failed: %s\n", cmd);
		exit(1);
	}
	if (maxrss)
		*maxrss = ru.ru_maxrss;
	return t;
}

void bench_rm(const char *path)
{
	judge_remove_tree(path);
}

void bench_drop_caches(void)
{
	sync();
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "3\n", 2) < 0) {
		}
		close(fd);
	}
}

uint64_t bench_allocated(const char *dir)
{
	struct judge_tree t;
	char err[256];
	uint64_t sum = 0;
	if (judge_tree_load(dir, &t, err, sizeof err) < 0)
		return 0;
	for (size_t i = 0; i < t.n; i++)
		sum += (uint64_t)t.e[i].blocks * 512;
	judge_tree_free(&t);
	return sum;
}

/* ---- the snapshot ---- */

static void bench_write_extents(const char *path, uint64_t size, uint64_t data, uint64_t extent)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0)
		bench_die(path);
	char *buf = malloc(extent);
	for (size_t i = 0; i < extent; i++)
		buf[i] = (char)(i * 2654435761u >> 13 | 1);
	uint64_t n = data / extent, stride = n ? size / n : size;
	for (uint64_t i = 0; i < n; i++)
		if (pwrite(fd, buf, extent, (off_t)(i * stride)) != (ssize_t)extent)
			bench_die(path);
	free(buf);
	close(fd);
}

static void bench_small_files(const char *snap)
{
	char p[PATH_MAX + 64];
	for (int i = 0; i < 20; i++) {
		snprintf(p, sizeof p, "%s/%s/conf-%02d.json", snap,
			 i % 2 ? "snapshots/snapshot-latest" : ".", i);
		FILE *f = fopen(p, "w");
		if (!f)
			bench_die(p);
		fprintf(f, "{\"setting\": %d, \"padding\": \"%0*d\"}\n", i, 200 + i * 50, 0);
		fclose(f);
	}
	snprintf(p, sizeof p, "%s/current", snap);
	if (symlink("conf-00.json", p) < 0)
		bench_die(p);
	snprintf(p, sizeof p, "%s/logs/vmm.log", snap);
	FILE *f = fopen(p, "w");
	if (!f)
		bench_die(p);
	fputs("vmm: paused\n", f);
	fclose(f);
}

/* dir/NAME: mem-file of mem_gib apparent with the fixed data, small files,
 * a symlink, logs/, and (if disk) a sparse overlay.raw. */
void bench_make_snapshot(const char *snap, unsigned mem_gib, int disk)
{
	char p[PATH_MAX + 64];
	bench_rm(snap);
	if (mkdir(snap, 0755) < 0)
		bench_die(snap);
	snprintf(p, sizeof p, "%s/logs", snap);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/snapshots", snap);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/snapshots/snapshot-latest", snap);
	mkdir(p, 0755);
	bench_small_files(snap);
	snprintf(p, sizeof p, "%s/snapshots/snapshot-latest/memory-ranges", snap);
	bench_write_extents(p, mem_gib * GiB, (uint64_t)cfg.data_mib * MiB, 2 * MiB);
	if (disk) {
		snprintf(p, sizeof p, "%s/overlay.raw", snap);
		bench_write_extents(p, (uint64_t)cfg.disk_gib * GiB, (uint64_t)cfg.disk_gib * GiB / 20,
			      1 * MiB);
	}
	sync();
}

void bench_set_mem_size(const char *snap, unsigned gib)
{
	char p[PATH_MAX + 64];
	snprintf(p, sizeof p, "%s/snapshots/snapshot-latest/memory-ranges", snap);
	if (truncate(p, (off_t)(gib * GiB)) < 0)
		bench_die(p);
}

/* ---- the contenders ---- */

const char *const who_name[] = { "snapfork (library)",    "snapfork fork (CLI)",
					"cp -a --sparse=always", "cp -a --reflink=always",
					"rsync -a --sparse",     "ln + cp -a --sparse=always",
					"snapfork --no-link",    "snapfork --no-writeback",
					"snapfork --fsync",      "snapfork fork --no-writeback (CLI)",
					"ln + cp -a --sparse=always + sync -f" };

/* Fork snap into dst with `w`; the time; peak RSS (KiB) for commands. */
double bench_fork_with(enum who w, const char *snap, const char *dst, long *rss,
			enum snapfork_method m)
{
	char cmd[16384];
	const char *mem = "snapshots/snapshot-latest/memory-ranges";
	if (rss)
		*rss = 0;
	switch (w) {
	case LIB:
	case NO_LINK:
	case NO_WB:
	case FSYNC: {
		struct snapfork_options opt = { .size = sizeof opt, .method = m };
		opt.flags = w == NO_LINK ? SNAPFORK_NO_LINK
			    : w == NO_WB ? SNAPFORK_NO_WRITEBACK
			    : w == FSYNC ? SNAPFORK_FSYNC
					 : 0;
		struct snapfork_report rep = SNAPFORK_REPORT_INIT;
		double t0 = bench_now();
		if (snapfork_fork(snap, dst, &opt, &rep) < 0) {
			fprintf(stderr, "snapfork-bench: fork %s: %s %s\n", snap, rep.error_path,
				strerror(-rep.error));
			exit(1);
		}
		return bench_now() - t0;
	}
	case CLI:
	case CLI_NO_WB:
		snprintf(cmd, sizeof cmd, "'%s' fork%s --method %s '%s' '%s' >/dev/null", cfg.cli,
			 w == CLI_NO_WB ? " --no-writeback" : "", snapfork_method_name(m), snap, dst);
		break;
	case CP_SPARSE:
		snprintf(cmd, sizeof cmd, "cp -a --sparse=always '%s' '%s'", snap, dst);
		break;
	case CP_REFLINK:
		snprintf(cmd, sizeof cmd, "cp -a --reflink=always '%s' '%s'", snap, dst);
		break;
	case RSYNC:
		snprintf(cmd, sizeof cmd, "rsync -a --sparse '%s/' '%s/'", snap, dst);
		break;
	case LN_CP:
	case LN_CP_SYNC:
		/* The best a shell script does: copy all but the mem-file, link
		 * it; LN_CP_SYNC then writes it back (syncfs), as the library's
		 * default does before it publishes. */
		snprintf(cmd, sizeof cmd,
			 "S='%s' D='%s' M='%s'; mkdir \"$D\" && cd \"$S\" && "
			 "find . -mindepth 1 -maxdepth 1 ! -name snapshots -exec cp -a "
			 "--sparse=always {} \"$D/\" \\; && "
			 "mkdir -p \"$D/snapshots/snapshot-latest\" && "
			 "find snapshots -mindepth 2 ! -path \"$M\" -exec cp -a --sparse=always {} "
			 "\"$D/snapshots/snapshot-latest/\" \\; && ln \"$S/$M\" \"$D/$M\"%s",
			 snap, dst, mem, w == LN_CP_SYNC ? " && sync -f \"$D\"" : "");
		break;
	default:
		return 0;
	}
	return bench_sh(cmd, rss);
}

/* ---- the sections ---- */

void bench_row_csv(const char *section, const char *who, const char *param, double value,
		    const char *unit)
{
	if (bench_csv)
		fprintf(bench_csv, "%s,%s,%s,%.6f,%s\n", section, who, param, value, unit);
}

struct target targets[16];
unsigned ntargets;

void bench_target(const char *what, double value, double limit, int at_most)
{
	targets[ntargets++] = (struct target){ what, value, limit, at_most };
}
