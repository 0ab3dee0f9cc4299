/* snapfork-bench - what a fork costs, against what users would run
 * otherwise, measured side by side in one run (ratios pair by pair, so a
 * shared 2-core machine's noise cancels).  See bench/README.md.
 *
 *   snapfork-bench [--dir DIR] [--sizes 1,4,16,64,256] [--runs N] [--data MIB]
 *                  [--disk-gib N] [--fast N] [--csv FILE] [--md FILE] [--plot FILE.png]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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

#include "judge.h"
#include "snapfork.h"

#define GiB (1ull << 30)
#define MiB (1ull << 20)

static struct {
	char dir[PATH_MAX], cli[PATH_MAX + 16];
	unsigned sizes[16], nsizes, runs, fast;
	unsigned data_mib, disk_gib;
	const char *csv, *md, *plot, *only;
	int root, reflink;
} o;

static FILE *csv, *md;

/* The head of bench/README.md: the tables below it are this run's. */
static const char md_intro[] =
	"# Benchmark\n"
	"\n"
	"`snapfork-bench` (bench.c) builds a realistic snapshot (a sparse mem-file with 256 "
	"MiB of data in 2 MiB extents, a 2 GiB `overlay.raw` with 5%% data, 20 small config "
	"files, a symlink, `logs/`) and times, in rounds with the order of contenders "
	"rotated, the library, the CLI, `cp -a --sparse=always`, `cp -a --reflink=always` "
	"(where supported), `rsync -a --sparse` and `ln` + `cp -a --sparse=always`, warm and "
	"(as root) cold; ratios are taken within a round and their median reported, so the "
	"shared machine's noise hits both sides. Then fork time and peak RSS against the mem-"
	"file's size, each copy method forced, the fast path, and the harness's own cost. "
	"`suites/run bench` runs it and rewrites this file below this paragraph (CSV and a "
	"plot go to `build/bench/`); `bench/scale.sh` (`suites/run scale`) times 1 GiB "
	"against 64 GiB mem-files alone. Not part of the tests: figures are printed, never "
	"asserted.\n"
	"\n";


static double now(void)
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

struct stats {
	double med, min, max, p99;
};

static struct stats stats_of(double *v, unsigned n)
{
	qsort(v, n, sizeof *v, cmp_d);
	struct stats s = { v[n / 2], v[0], v[n - 1], v[(unsigned)((n - 1) * 0.99)] };
	if (n % 2 == 0)
		s.med = (v[n / 2 - 1] + v[n / 2]) / 2;
	return s;
}

static void die(const char *what)
{
	fprintf(stderr, "snapfork-bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Run a shell command; its wall time, and its peak RSS in KiB. */
static double sh(const char *cmd, long *maxrss)
{
	double t0 = now();
	pid_t pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	int st;
	struct rusage ru;
	if (wait4(pid, &st, 0, &ru) < 0)
		die("wait4");
	double t = now() - t0;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "snapfork-bench: failed: %s\n", cmd);
		exit(1);
	}
	if (maxrss)
		*maxrss = ru.ru_maxrss;
	return t;
}

static void rm(const char *path)
{
	judge_remove_tree(path);
}

static void drop_caches(void)
{
	sync();
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "3\n", 2) < 0) {
		}
		close(fd);
	}
}

static uint64_t allocated(const char *dir)
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

static void write_extents(const char *path, uint64_t size, uint64_t data, uint64_t extent)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0)
		die(path);
	char *buf = malloc(extent);
	for (size_t i = 0; i < extent; i++)
		buf[i] = (char)(i * 2654435761u >> 13 | 1);
	uint64_t n = data / extent, stride = n ? size / n : size;
	for (uint64_t i = 0; i < n; i++)
		if (pwrite(fd, buf, extent, (off_t)(i * stride)) != (ssize_t)extent)
			die(path);
	free(buf);
	close(fd);
}

static void small_files(const char *snap)
{
	char p[PATH_MAX + 64];
	for (int i = 0; i < 20; i++) {
		snprintf(p, sizeof p, "%s/%s/conf-%02d.json", snap,
			 i % 2 ? "snapshots/snapshot-latest" : ".", i);
		FILE *f = fopen(p, "w");
		if (!f)
			die(p);
		fprintf(f, "{\"setting\": %d, \"padding\": \"%0*d\"}\n", i, 200 + i * 50, 0);
		fclose(f);
	}
	snprintf(p, sizeof p, "%s/current", snap);
	if (symlink("conf-00.json", p) < 0)
		die(p);
	snprintf(p, sizeof p, "%s/logs/vmm.log", snap);
	FILE *f = fopen(p, "w");
	if (!f)
		die(p);
	fputs("vmm: paused\n", f);
	fclose(f);
}

/* dir/NAME: mem-file of mem_gib apparent with the fixed data, small files,
 * a symlink, logs/, and (if disk) a sparse overlay.raw. */
static void make_snapshot(const char *snap, unsigned mem_gib, int disk)
{
	char p[PATH_MAX + 64];
	rm(snap);
	if (mkdir(snap, 0755) < 0)
		die(snap);
	snprintf(p, sizeof p, "%s/logs", snap);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/snapshots", snap);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/snapshots/snapshot-latest", snap);
	mkdir(p, 0755);
	small_files(snap);
	snprintf(p, sizeof p, "%s/snapshots/snapshot-latest/memory-ranges", snap);
	write_extents(p, mem_gib * GiB, (uint64_t)o.data_mib * MiB, 2 * MiB);
	if (disk) {
		snprintf(p, sizeof p, "%s/overlay.raw", snap);
		write_extents(p, (uint64_t)o.disk_gib * GiB, (uint64_t)o.disk_gib * GiB / 20,
			      1 * MiB);
	}
	sync();
}

static void set_mem_size(const char *snap, unsigned gib)
{
	char p[PATH_MAX + 64];
	snprintf(p, sizeof p, "%s/snapshots/snapshot-latest/memory-ranges", snap);
	if (truncate(p, (off_t)(gib * GiB)) < 0)
		die(p);
}

/* ---- the contenders ---- */

enum who { LIB, CLI, CP_SPARSE, CP_REFLINK, RSYNC, LN_CP, NO_LINK, NWHO };
static const char *const who_name[] = { "snapfork (library)",    "snapfork fork (CLI)",
					"cp -a --sparse=always", "cp -a --reflink=always",
					"rsync -a --sparse",     "ln + cp -a --sparse=always",
					"snapfork --no-link" };

/* Fork snap into dst with `w`; the time; peak RSS (KiB) for commands. */
static double fork_with(enum who w, const char *snap, const char *dst, long *rss,
			enum snapfork_method m)
{
	char cmd[16384];
	const char *mem = "snapshots/snapshot-latest/memory-ranges";
	if (rss)
		*rss = 0;
	switch (w) {
	case LIB:
	case NO_LINK: {
		struct snapfork_options opt = { .size = sizeof opt, .method = m,
						.flags = w == NO_LINK ? SNAPFORK_NO_LINK : 0 };
		struct snapfork_report rep = SNAPFORK_REPORT_INIT;
		double t0 = now();
		if (snapfork_fork(snap, dst, &opt, &rep) < 0) {
			fprintf(stderr, "snapfork-bench: fork %s: %s %s\n", snap, rep.error_path,
				strerror(-rep.error));
			exit(1);
		}
		return now() - t0;
	}
	case CLI:
		snprintf(cmd, sizeof cmd, "'%s' fork --method %s '%s' '%s' >/dev/null", o.cli,
			 snapfork_method_name(m), snap, dst);
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
		/* The best a shell script does: copy all but the mem-file, link it. */
		snprintf(cmd, sizeof cmd,
			 "S='%s' D='%s' M='%s'; mkdir \"$D\" && cd \"$S\" && "
			 "find . -mindepth 1 -maxdepth 1 ! -name snapshots -exec cp -a "
			 "--sparse=always {} \"$D/\" \\; && "
			 "mkdir -p \"$D/snapshots/snapshot-latest\" && "
			 "find snapshots -mindepth 2 ! -path \"$M\" -exec cp -a --sparse=always {} "
			 "\"$D/snapshots/snapshot-latest/\" \\; && ln \"$S/$M\" \"$D/$M\"",
			 snap, dst, mem);
		break;
	default:
		return 0;
	}
	return sh(cmd, rss);
}

/* ---- the sections ---- */

static void row_csv(const char *section, const char *who, const char *param, double value,
		    const char *unit)
{
	if (csv)
		fprintf(csv, "%s,%s,%s,%.6f,%s\n", section, who, param, value, unit);
}

struct target {
	const char *what;
	double value, limit;
	int at_most;
};
static struct target targets[16];
static unsigned ntargets;

static void target(const char *what, double value, double limit, int at_most)
{
	targets[ntargets++] = (struct target){ what, value, limit, at_most };
}

/* A B A B: every contender once per round, the order rotated each round;
 * ratios against `base` are taken within each round, then their median. */
static void compare(const char *snap, const char *dst, int cold)
{
	enum who list[] = { LIB, CLI, LN_CP, CP_SPARSE, RSYNC, CP_REFLINK };
	unsigned n = o.reflink ? 6 : 5;
	double t[NWHO][64], ratio[NWHO][64];
	for (unsigned r = 0; r < o.runs; r++) {
		for (unsigned k = 0; k < n; k++) {
			enum who w = list[(k + r) % n];
			if (cold)
				drop_caches();
			t[w][r] = fork_with(w, snap, dst, NULL, SNAPFORK_METHOD_AUTO);
			rm(dst);
		}
		for (unsigned k = 0; k < n; k++)
			ratio[list[k]][r] = t[CLI][r] / t[list[k]][r];
	}
	fprintf(md, "\n### Whole fork, %s cache (%u rounds, order rotated)\n\n",
		cold ? "cold" : "warm", o.runs);
	fprintf(md, "| method | median | min | max | snapfork fork (CLI) ÷ this, median of rounds "
		    "|\n|---|---|---|---|---|\n");
	for (unsigned k = 0; k < n; k++) {
		enum who w = list[k];
		struct stats s = stats_of(t[w], o.runs);
		struct stats q = stats_of(ratio[w], o.runs);
		fprintf(md, "| %s | %.2f ms | %.2f ms | %.2f ms | %.3f |\n", who_name[w],
			s.med * 1e3, s.min * 1e3, s.max * 1e3, q.med);
		row_csv(cold ? "whole-cold" : "whole-warm", who_name[w], "median_ms", s.med * 1e3,
			"ms");
		if (!cold && w == LN_CP)
			target("snapfork fork ÷ (ln + cp --sparse=always), warm", q.med, 1.0, 1);
		if (!cold && w == CP_REFLINK)
			target("snapfork fork ÷ cp -a --reflink=always, warm", q.med, 1.0, 1);
	}
}

static void scaling(const char *snap, const char *dst)
{
	enum who list[] = { LIB, NO_LINK, LN_CP, CP_SPARSE };
	fprintf(md,
		"\n### Fork time and peak RSS against mem-file size (apparent; %u MiB of data)\n\n",
		o.data_mib);
	fprintf(md, "| mem-file | snapfork (linked) | snapfork --no-link | ln + cp | cp "
		    "--sparse=always | CLI peak RSS |\n|---|---|---|---|---|---|\n");
	long max_rss = 0;
	FILE *dat = NULL;
	char datpath[PATH_MAX + 16];
	snprintf(datpath, sizeof datpath, "%s/scaling.dat", o.dir);
	dat = fopen(datpath, "w");
	/* Rounds again: each round visits every size (in a rotated order)
	 * and every method, so a busy moment hits all sizes alike; the size
	 * ratio is taken within each round. */
	static double t[16][4][64];
	double ratio[64];
	for (unsigned r = 0; r < o.runs; r++) {
		for (unsigned j = 0; j < o.nsizes; j++) {
			unsigned i = (j + r) % o.nsizes;
			set_mem_size(snap, o.sizes[i]);
			for (unsigned k = 0; k < 4; k++) {
				t[i][k][r] =
					fork_with(list[k], snap, dst, NULL, SNAPFORK_METHOD_AUTO);
				rm(dst);
			}
		}
		ratio[r] = t[o.nsizes - 1][0][r] / t[0][0][r];
	}
	for (unsigned i = 0; i < o.nsizes; i++) {
		set_mem_size(snap, o.sizes[i]);
		double med[4];
		for (unsigned k = 0; k < 4; k++) {
			med[k] = stats_of(t[i][k], o.runs).med;
			row_csv("scaling", who_name[list[k]], "gib", o.sizes[i], "");
			row_csv("scaling", who_name[list[k]], "median_ms", med[k] * 1e3, "ms");
		}
		long rss;
		char cmd[3 * PATH_MAX];
		snprintf(cmd, sizeof cmd, "'%s' fork '%s' '%s' >/dev/null", o.cli, snap, dst);
		sh(cmd, &rss);
		rm(dst);
		max_rss = rss > max_rss ? rss : max_rss;
		row_csv("scaling", "snapfork fork (CLI)", "peak_rss_kib", (double)rss, "KiB");
		fprintf(md, "| %u GiB | %.2f ms | %.1f ms | %.2f ms | %.1f ms | %.1f MiB |\n",
			o.sizes[i], med[0] * 1e3, med[1] * 1e3, med[2] * 1e3, med[3] * 1e3,
			(double)rss / 1024);
		if (dat)
			fprintf(dat, "%u %f %f %f %f\n", o.sizes[i], med[0] * 1e3, med[1] * 1e3,
				med[2] * 1e3, med[3] * 1e3);
	}
	if (dat)
		fclose(dat);
	set_mem_size(snap, 1);
	char what[96];
	snprintf(what, sizeof what, "fork with %u GiB ÷ fork with %u GiB (linked)",
		 o.sizes[o.nsizes - 1], o.sizes[0]);
	target(strdup(what), stats_of(ratio, o.runs).med, 1.1, 1);
	target("peak RSS of a fork, MiB (largest size)", (double)max_rss / 1024, 16, 1);
	if (o.plot) {
		char cmd[4 * PATH_MAX];
		snprintf(cmd, sizeof cmd,
			 "gnuplot -e \"set terminal pngcairo size 900,560; set output '%s'; "
			 "set title 'Fork time against mem-file size (apparent, %u MiB data)'; "
			 "set xlabel 'mem-file size (GiB)'; set ylabel 'fork time (ms)'; set "
			 "logscale xy; "
			 "set key top left; set grid; "
			 "plot '%s' using 1:2 with linespoints title 'snapfork (mem-file linked)', "
			 "'' using 1:3 with linespoints title 'snapfork --no-link (copied)', "
			 "'' using 1:4 with linespoints title 'ln + cp -a --sparse=always', "
			 "'' using 1:5 with linespoints title 'cp -a --sparse=always'\"",
			 o.plot, o.data_mib, datpath);
		if (system(cmd) != 0)
			fprintf(stderr, "snapfork-bench: gnuplot failed; no plot\n");
	}
}

static void methods(const char *snap, const char *dst)
{
	static const enum snapfork_method ms[] = { SNAPFORK_METHOD_REFLINK, SNAPFORK_METHOD_RANGE,
						   SNAPFORK_METHOD_RW };
	fprintf(md, "\n### Each copy method forced (mem-file copied too: --no-link), allocation "
		    "after\n\n");
	fprintf(md, "| method | median | allocated: fork ÷ snapshot |\n|---|---|---|\n");
	double med[3] = { 0 };
	uint64_t src_alloc = allocated(snap);
	for (unsigned k = 0; k < 3; k++) {
		if (ms[k] == SNAPFORK_METHOD_REFLINK && !o.reflink) {
			fprintf(md, "| reflink | not supported on this filesystem | - |\n");
			continue;
		}
		double t[64];
		uint64_t alloc = 0;
		for (unsigned r = 0; r < o.runs; r++) {
			t[r] = fork_with(NO_LINK, snap, dst, NULL, ms[k]);
			alloc = allocated(dst);
			rm(dst);
		}
		med[k] = stats_of(t, o.runs).med;
		double ra = src_alloc ? (double)alloc / (double)src_alloc : 0;
		fprintf(md, "| %s | %.1f ms | %.3f |\n", snapfork_method_name(ms[k]), med[k] * 1e3,
			ra);
		row_csv("methods", snapfork_method_name(ms[k]), "median_ms", med[k] * 1e3, "ms");
		row_csv("methods", snapfork_method_name(ms[k]), "alloc_ratio", ra, "");
		if (ms[k] == SNAPFORK_METHOD_RANGE)
			target("fork allocation ÷ snapshot allocation (range)", ra, 1.0, 1);
	}
	target("--method range ÷ --method rw", med[1] / med[2], 1.0, 1);
}

static void fast_path(const char *base, const char *fsname)
{
	char snap[PATH_MAX + 16], dst[PATH_MAX + 16], cmd[16384];
	snprintf(snap, sizeof snap, "%s/small", base);
	snprintf(dst, sizeof dst, "%s/small-fork", base);
	make_snapshot(snap, 1, 0);
	double *lib = calloc(o.fast, sizeof *lib), *shell = calloc(o.fast, sizeof *shell);
	for (unsigned i = 0; i < o.fast; i++) {
		lib[i] = fork_with(LIB, snap, dst, NULL, SNAPFORK_METHOD_AUTO);
		rm(dst);
		/* The same fork by hand: the tree but logs/ and the mem-file,
		 * copied, then the mem-file linked. */
		snprintf(cmd, sizeof cmd,
			 "S='%s' D='%s' L=snapshots/snapshot-latest; "
			 "mkdir -p \"$D/$L\" && cp -a \"$S\"/conf-* \"$S/current\" \"$D/\" && "
			 "cp -a \"$S/$L\"/conf-* \"$D/$L/\" && ln \"$S/$L/memory-ranges\" "
			 "\"$D/$L/\"",
			 snap, dst);
		if (i < o.fast / 4 + 1) /* a shell fork costs ~ms: fewer of them */
			shell[i] = sh(cmd, NULL);
		rm(dst);
	}
	unsigned nshell = o.fast / 4 + 1;
	struct stats l = stats_of(lib, o.fast), s = stats_of(shell, nshell);
	fprintf(md,
		"\n### Fast path on %s: %u library forks (mem-file linked, 20 small files, no "
		"disk)\n\n",
		fsname, o.fast);
	fprintf(md, "| | median | p99 | min | max |\n|---|---|---|---|---|\n");
	fprintf(md, "| library fork | %.3f ms | %.3f ms | %.3f ms | %.3f ms |\n", l.med * 1e3,
		l.p99 * 1e3, l.min * 1e3, l.max * 1e3);
	fprintf(md,
		"| shell (mkdir -p; cp -a; cp -a; ln), %u runs | %.3f ms | %.3f ms | %.3f ms | "
		"%.3f ms |\n",
		nshell, s.med * 1e3, s.p99 * 1e3, s.min * 1e3, s.max * 1e3);
	row_csv("fast", "library", "median_ms", l.med * 1e3, "ms");
	row_csv("fast", "library", "p99_ms", l.p99 * 1e3, "ms");
	row_csv("fast", "shell", "median_ms", s.med * 1e3, "ms");
	char what[2][96];
	snprintf(what[0], sizeof what[0], "library fast-path fork on %s, median ms", fsname);
	snprintf(what[1], sizeof what[1], "shell fork ÷ library fork on %s (medians)", fsname);
	target(strdup(what[0]), l.med * 1e3, 1.0, 1);
	target(strdup(what[1]), s.med / l.med, 5.0, 0);
	free(lib);
	free(shell);
	rm(snap);
}

static void harness_cost(void)
{
	char cmd[16384];
	static const char *const fx[] = { "ch-raw", "ch-zstd", "edge", "deep", "qemu-stopped" };
	fprintf(md, "\n### Cost of the harness: snapfork check per fixture\n\n| fixture | check "
		    "(extract, 2 forks, every rule) |\n|---|---|\n");
	double total = 0;
	for (unsigned i = 0; i < 5; i++) {
		snprintf(cmd, sizeof cmd, "'%s' check --fixture %s --scratch '%s' >/dev/null 2>&1",
			 o.cli, fx[i], o.dir);
		double t = sh(cmd, NULL);
		total += t;
		fprintf(md, "| %s | %.0f ms |\n", fx[i], t * 1e3);
		row_csv("harness", fx[i], "check_ms", t * 1e3, "ms");
	}
	snprintf(cmd, sizeof cmd, "'%s' check --scratch '%s' >/dev/null 2>&1", o.cli, o.dir);
	double all = sh(cmd, NULL);
	fprintf(md, "| all 9 fixtures + refusal | %.0f ms |\n", all * 1e3);
	row_csv("harness", "all", "check_ms", all * 1e3, "ms");
	(void)total;
}

static void parse_sizes(const char *s)
{
	o.nsizes = 0;
	for (char *p = (char *)s; *p && o.nsizes < 16;) {
		o.sizes[o.nsizes++] = (unsigned)strtoul(p, &p, 10);
		if (*p == ',')
			p++;
	}
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "sizes", required_argument, NULL, 's' },
		{ "runs", required_argument, NULL, 'r' },
		{ "data", required_argument, NULL, 'D' },
		{ "disk-gib", required_argument, NULL, 'g' },
		{ "fast", required_argument, NULL, 'f' },
		{ "csv", required_argument, NULL, 'c' },
		{ "md", required_argument, NULL, 'm' },
		{ "plot", required_argument, NULL, 'p' },
		{ "only", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	o.runs = 5;
	o.fast = 1000;
	o.data_mib = 256;
	o.disk_gib = 2;
	parse_sizes("1,4,16,64,256");
	const char *dir = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 's':
			parse_sizes(optarg);
			break;
		case 'r':
			o.runs = (unsigned)atoi(optarg);
			break;
		case 'D':
			o.data_mib = (unsigned)atoi(optarg);
			break;
		case 'g':
			o.disk_gib = (unsigned)atoi(optarg);
			break;
		case 'f':
			o.fast = (unsigned)atoi(optarg);
			break;
		case 'c':
			o.csv = optarg;
			break;
		case 'm':
			o.md = optarg;
			break;
		case 'p':
			o.plot = optarg;
			break;
		case 'o':
			o.only = optarg;
			break;
		default:
			fprintf(stderr,
				"usage: snapfork-bench [--dir DIR] [--sizes 1,4,16,64,256] [--runs "
				"N] "
				"[--data MIB] [--disk-gib N] [--fast N] [--csv FILE] [--md FILE] "
				"[--plot FILE.png] [--only "
				"compare|scaling|methods|fast|harness]\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (o.runs < 1 || o.runs > 64 || o.fast < 4 || o.nsizes == 0) {
		fprintf(stderr, "snapfork-bench: --runs 1..64, --fast >= 4, --sizes not empty\n");
		return 2;
	}
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	self[n > 0 ? n : 0] = '\0';
	*strrchr(self, '/') = '\0';
	snprintf(o.cli, sizeof o.cli, "%s/snapfork", self);
	snprintf(o.dir, sizeof o.dir, "%s/snapfork-bench.XXXXXX", dir ? dir : "/var/tmp");
	if (!mkdtemp(o.dir))
		die(o.dir);
	o.root = geteuid() == 0;
	struct snapfork_probe pr = SNAPFORK_PROBE_INIT;
	snapfork_probe_at(AT_FDCWD, o.dir, &pr);
	o.reflink = pr.reflink == 0;
	csv = o.csv ? fopen(o.csv, "w") : NULL;
	if (csv)
		fputs("section,who,parameter,value,unit\n", csv);
	char *mdbuf = NULL;
	size_t mdlen = 0;
	md = open_memstream(&mdbuf, &mdlen);
	char snap[PATH_MAX + 16], dst[PATH_MAX + 16];
	snprintf(snap, sizeof snap, "%s/snap", o.dir);
	snprintf(dst, sizeof dst, "%s/fork", o.dir);
	fprintf(stderr,
		"building the snapshot in %s (%u MiB of memory data, %u GiB disk at 5%%)...\n",
		o.dir, o.data_mib, o.disk_gib);
	make_snapshot(snap, 1, 1);
	fputs(md_intro, md);
	fprintf(md, "## snapfork-bench on %s (%s; reflink %s), %u rounds\n", o.dir, pr.fstype,
		o.reflink ? "yes" : "no", o.runs);
#define SECTION(name) (!o.only || strcmp(o.only, name) == 0)
	if (SECTION("compare")) {
		fprintf(stderr, "comparing methods...\n");
		compare(snap, dst, 0);
		if (o.root)
			compare(snap, dst, 1);
		else
			fprintf(md, "\n(cold cache: not measured, dropping caches needs root)\n");
	}
	if (SECTION("scaling")) {
		fprintf(stderr, "scaling...\n");
		scaling(snap, dst);
	}
	if (SECTION("methods")) {
		fprintf(stderr, "copy methods...\n");
		methods(snap, dst);
	}
	if (SECTION("fast")) {
		fprintf(stderr, "fast path...\n");
		fast_path(o.dir, pr.fstype);
		/* And on tmpfs, where no disk or journal is in the way. */
		char shm[] = "/dev/shm/snapfork-bench.XXXXXX";
		struct snapfork_probe ps = SNAPFORK_PROBE_INIT;
		if (strcmp(pr.fstype, "tmpfs") != 0 && mkdtemp(shm) &&
		    snapfork_probe_at(AT_FDCWD, shm, &ps) == 0 && strcmp(ps.fstype, "tmpfs") == 0)
			fast_path(shm, "tmpfs");
		rm(shm);
	}
	if (SECTION("harness")) {
		fprintf(stderr, "harness...\n");
		harness_cost();
	}
	fprintf(md, "\n### Targets\n\n| target | measured | limit | |\n|---|---|---|---|\n");
	for (unsigned i = 0; i < ntargets; i++) {
		const struct target *t = &targets[i];
		int met = t->at_most ? t->value <= t->limit : t->value >= t->limit;
		fprintf(md, "| %s | %.3f | %s %.1f | %s |\n", t->what, t->value,
			t->at_most ? "≤" : "≥", t->limit, met ? "met" : "MISSED");
	}
	fclose(md);
	fputs(mdbuf, stdout);
	if (o.md) {
		FILE *f = fopen(o.md, "w");
		if (f) {
			fputs(mdbuf, f);
			fclose(f);
		}
	}
	free(mdbuf);
	if (csv)
		fclose(csv);
	rm(o.dir);
	return 0;
}
