/* sections.c - each section of the benchmark report, with its targets. */
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

/* A B A B: every contender once per round, the order rotated each round;
 * ratios against `base` are taken within each round, then their median. */
void bench_compare(const char *snap, const char *dst, int cold)
{
	enum who list[] = { LIB, CLI, CLI_NO_WB, LN_CP_SYNC, LN_CP, CP_SPARSE, RSYNC, CP_REFLINK };
	unsigned n = cfg.reflink ? 8 : 7;
	double t[NWHO][64], ratio[NWHO][64], nowb[64];
	for (unsigned r = 0; r < cfg.runs; r++) {
		for (unsigned k = 0; k < n; k++) {
			enum who w = list[(k + r) % n];
			if (cold)
				bench_drop_caches();
			t[w][r] = bench_fork_with(w, snap, dst, NULL, SNAPFORK_METHOD_AUTO);
			bench_rm(dst);
		}
		for (unsigned k = 0; k < n; k++)
			ratio[list[k]][r] = t[CLI][r] / t[list[k]][r];
		nowb[r] = t[CLI_NO_WB][r] / t[LN_CP][r];
	}
	fprintf(bench_md, "\n### Whole fork, %s cache (%u rounds, order rotated)\n\n",
		cold ? "cold" : "warm", cfg.runs);
	fprintf(bench_md, "| method | median | min | max | snapfork fork (CLI) ÷ this, median of rounds "
		    "|\n|---|---|---|---|---|\n");
	for (unsigned k = 0; k < n; k++) {
		enum who w = list[k];
		struct stats s = bench_stats_of(t[w], cfg.runs);
		struct stats q = bench_stats_of(ratio[w], cfg.runs);
		fprintf(bench_md, "| %s | %.2f ms | %.2f ms | %.2f ms | %.3f |\n", who_name[w],
			s.med * 1e3, s.min * 1e3, s.max * 1e3, q.med);
		bench_row_csv(cold ? "whole-cold" : "whole-warm", who_name[w], "median_ms", s.med * 1e3,
			"ms");
		/* Like for like: the default writes back what it copied, as
		 * `sync -f` does; --no-writeback does not, as plain cp. */
		if (!cold && w == LN_CP_SYNC)
			bench_target("snapfork fork ÷ (ln + cp --sparse=always + sync -f), warm", q.med,
				     1.0, 1);
		if (!cold && w == LN_CP)
			bench_target("snapfork fork --no-writeback ÷ (ln + cp --sparse=always), warm",
				     bench_stats_of(nowb, cfg.runs).med, 1.0, 1);
		if (!cold && w == CP_REFLINK)
			bench_target("snapfork fork ÷ cp -a --reflink=always, warm", q.med, 1.0, 1);
	}
}

void bench_scaling(const char *snap, const char *dst)
{
	enum who list[] = { LIB, NO_LINK, LN_CP, CP_SPARSE };
	fprintf(bench_md,
		"\n### Fork time and peak RSS against mem-file size (apparent; %u MiB of data)\n\n",
		cfg.data_mib);
	fprintf(bench_md, "| mem-file | snapfork (linked) | snapfork --no-link | ln + cp | cp "
		    "--sparse=always | CLI peak RSS |\n|---|---|---|---|---|---|\n");
	long max_rss = 0;
	FILE *dat = NULL;
	char datpath[PATH_MAX + 16];
	snprintf(datpath, sizeof datpath, "%s/scaling.dat", cfg.dir);
	dat = fopen(datpath, "w");
	/* Rounds again: each round visits every size (in a rotated order)
	 * and every method, so a busy moment hits all sizes alike; the size
	 * ratio is taken within each round. */
	static double t[16][4][64];
	double ratio[64];
	for (unsigned r = 0; r < cfg.runs; r++) {
		for (unsigned j = 0; j < cfg.nsizes; j++) {
			unsigned i = (j + r) % cfg.nsizes;
			bench_set_mem_size(snap, cfg.sizes[i]);
			for (unsigned k = 0; k < 4; k++) {
				t[i][k][r] =
					bench_fork_with(list[k], snap, dst, NULL, SNAPFORK_METHOD_AUTO);
				bench_rm(dst);
			}
		}
		ratio[r] = t[cfg.nsizes - 1][0][r] / t[0][0][r];
	}
	for (unsigned i = 0; i < cfg.nsizes; i++) {
		bench_set_mem_size(snap, cfg.sizes[i]);
		double med[4];
		for (unsigned k = 0; k < 4; k++) {
			med[k] = bench_stats_of(t[i][k], cfg.runs).med;
			bench_row_csv("scaling", who_name[list[k]], "gib", cfg.sizes[i], "");
			bench_row_csv("scaling", who_name[list[k]], "median_ms", med[k] * 1e3, "ms");
		}
		long rss;
		char cmd[3 * PATH_MAX];
		snprintf(cmd, sizeof cmd, "'%s' fork '%s' '%s' >/dev/null", cfg.cli, snap, dst);
		bench_sh(cmd, &rss);
		bench_rm(dst);
		max_rss = rss > max_rss ? rss : max_rss;
		bench_row_csv("scaling", "snapfork fork (CLI)", "peak_rss_kib", (double)rss, "KiB");
		fprintf(bench_md, "| %u GiB | %.2f ms | %.1f ms | %.2f ms | %.1f ms | %.1f MiB |\n",
			cfg.sizes[i], med[0] * 1e3, med[1] * 1e3, med[2] * 1e3, med[3] * 1e3,
			(double)rss / 1024);
		if (dat)
			fprintf(dat, "%u %f %f %f %f\n", cfg.sizes[i], med[0] * 1e3, med[1] * 1e3,
				med[2] * 1e3, med[3] * 1e3);
	}
	if (dat)
		fclose(dat);
	bench_set_mem_size(snap, 1);
	char what[96];
	snprintf(what, sizeof what, "fork with %u GiB ÷ fork with %u GiB (linked)",
		 cfg.sizes[cfg.nsizes - 1], cfg.sizes[0]);
	bench_target(strdup(what), bench_stats_of(ratio, cfg.runs).med, 1.1, 1);
	bench_target("peak RSS of a fork, MiB (largest size)", (double)max_rss / 1024, 16, 1);
	if (cfg.plot) {
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
			 cfg.plot, cfg.data_mib, datpath);
		if (system(cmd) != 0)
			fprintf(stderr, "snapfork-bench: gnuplot failed; no plot\n");
	}
}

void bench_methods(const char *snap, const char *dst)
{
	static const enum snapfork_method ms[] = { SNAPFORK_METHOD_REFLINK, SNAPFORK_METHOD_RANGE,
						   SNAPFORK_METHOD_RW };
	fprintf(bench_md, "\n### Each copy method forced (mem-file copied too: --no-link), allocation "
		    "after\n\n");
	fprintf(bench_md, "| method | median | allocated: fork ÷ snapshot |\n|---|---|---|\n");
	double med[3] = { 0 };
	uint64_t src_alloc = bench_allocated(snap);
	for (unsigned k = 0; k < 3; k++) {
		if (ms[k] == SNAPFORK_METHOD_REFLINK && !cfg.reflink) {
			fprintf(bench_md, "| reflink | not supported on this filesystem | - |\n");
			continue;
		}
		double t[64];
		uint64_t alloc = 0;
		for (unsigned r = 0; r < cfg.runs; r++) {
			t[r] = bench_fork_with(NO_LINK, snap, dst, NULL, ms[k]);
			alloc = bench_allocated(dst);
			bench_rm(dst);
		}
		med[k] = bench_stats_of(t, cfg.runs).med;
		double ra = src_alloc ? (double)alloc / (double)src_alloc : 0;
		fprintf(bench_md, "| %s | %.1f ms | %.3f |\n", snapfork_method_name(ms[k]), med[k] * 1e3,
			ra);
		bench_row_csv("methods", snapfork_method_name(ms[k]), "median_ms", med[k] * 1e3, "ms");
		bench_row_csv("methods", snapfork_method_name(ms[k]), "alloc_ratio", ra, "");
		if (ms[k] == SNAPFORK_METHOD_RANGE)
			bench_target("fork allocation ÷ snapshot allocation (range)", ra, 1.0, 1);
	}
	bench_target("--method range ÷ --method rw", med[1] / med[2], 1.0, 1);
}

void bench_fast_path(const char *base, const char *fsname)
{
	char snap[PATH_MAX + 16], dst[PATH_MAX + 16], cmd[16384];
	snprintf(snap, sizeof snap, "%s/small", base);
	snprintf(dst, sizeof dst, "%s/small-fork", base);
	bench_make_snapshot(snap, 1, 0);
	double *lib = calloc(cfg.fast, sizeof *lib), *shell = calloc(cfg.fast, sizeof *shell);
	for (unsigned i = 0; i < cfg.fast; i++) {
		lib[i] = bench_fork_with(LIB, snap, dst, NULL, SNAPFORK_METHOD_AUTO);
		bench_rm(dst);
		/* The same fork by hand: the tree but logs/ and the mem-file,
		 * copied, then the mem-file linked. */
		snprintf(cmd, sizeof cmd,
			 "S='%s' D='%s' L=snapshots/snapshot-latest; "
			 "mkdir -p \"$D/$L\" && cp -a \"$S\"/conf-* \"$S/current\" \"$D/\" && "
			 "cp -a \"$S/$L\"/conf-* \"$D/$L/\" && ln \"$S/$L/memory-ranges\" "
			 "\"$D/$L/\"",
			 snap, dst);
		if (i < cfg.fast / 4 + 1) /* a shell fork costs ~ms: fewer of them */
			shell[i] = bench_sh(cmd, NULL);
		bench_rm(dst);
	}
	unsigned nshell = cfg.fast / 4 + 1;
	struct stats l = bench_stats_of(lib, cfg.fast), s = bench_stats_of(shell, nshell);
	fprintf(bench_md,
		"\n### Fast path on %s: %u library forks (mem-file linked, 20 small files, no "
		"disk)\n\n",
		fsname, cfg.fast);
	fprintf(bench_md, "| | median | p99 | min | max |\n|---|---|---|---|---|\n");
	fprintf(bench_md, "| library fork | %.3f ms | %.3f ms | %.3f ms | %.3f ms |\n", l.med * 1e3,
		l.p99 * 1e3, l.min * 1e3, l.max * 1e3);
	fprintf(bench_md,
		"| shell (mkdir -p; cp -a; cp -a; ln), %u runs | %.3f ms | %.3f ms | %.3f ms | "
		"%.3f ms |\n",
		nshell, s.med * 1e3, s.p99 * 1e3, s.min * 1e3, s.max * 1e3);
	bench_row_csv("fast", "library", "median_ms", l.med * 1e3, "ms");
	bench_row_csv("fast", "library", "p99_ms", l.p99 * 1e3, "ms");
	bench_row_csv("fast", "shell", "median_ms", s.med * 1e3, "ms");
	char what[2][96];
	snprintf(what[0], sizeof what[0], "library fast-path fork on %s, median ms", fsname);
	snprintf(what[1], sizeof what[1], "shell fork ÷ library fork on %s (medians)", fsname);
	bench_target(strdup(what[0]), l.med * 1e3, 1.0, 1);
	bench_target(strdup(what[1]), s.med / l.med, 5.0, 0);
	free(lib);
	free(shell);
	bench_rm(snap);
}

static void bench_rows_cost(void);
static void bench_layouts_rate(void);

void bench_harness_cost(void)
{
	char cmd[16384];
	static const char *const fx[] = { "ch-raw", "ch-zstd", "edge", "deep", "qemu-stopped" };
	fprintf(bench_md, "\n### Cost of the harness: snapfork check per fixture\n\n| fixture | check "
		    "(extract, 2 forks, every rule) |\n|---|---|\n");
	double total = 0;
	for (unsigned i = 0; i < 5; i++) {
		snprintf(cmd, sizeof cmd, "'%s' check --fixture %s --scratch '%s' >/dev/null 2>&1",
			 cfg.cli, fx[i], cfg.dir);
		double t = bench_sh(cmd, NULL);
		total += t;
		fprintf(bench_md, "| %s | %.0f ms |\n", fx[i], t * 1e3);
		bench_row_csv("harness", fx[i], "check_ms", t * 1e3, "ms");
	}
	snprintf(cmd, sizeof cmd, "'%s' check --scratch '%s' >/dev/null 2>&1", cfg.cli, cfg.dir);
	double all = bench_sh(cmd, NULL);
	fprintf(bench_md, "| all fixtures, every row | %.0f ms |\n", all * 1e3);
	bench_row_csv("harness", "all", "check_ms", all * 1e3, "ms");
	(void)total;
	bench_rows_cost();
	bench_layouts_rate();
}

/* One line of a command's output, or NULL. */
static char *first_line(const char *cmd, char *line, size_t len)
{
	FILE *p = popen(cmd, "r");
	char *got = p ? fgets(line, (int)len, p) : NULL;
	if (p)
		pclose(p);
	return got;
}

/* The rows that judge forks as managers run them (concurrent:, race:,
 * the paths- places) against the plain fixture and refusal rows, summed
 * from one check's JSON (row_us): the ratio of a whole check to a plain
 * one, measured in the same run. */
static void bench_rows_cost(void)
{
	char cmd[16384], line[256];
	snprintf(cmd, sizeof cmd,
		 "'%s' check --scratch '%s' --json - 2>/dev/null | jq -r '"
		 "def new: .fixture | test(\"^(concurrent|race|paths-)\"); "
		 "\"\\([.rows[] | select(new | not) | .row_us] | add) "
		 "\\([.rows[] | select(new) | .row_us] | add)\"'",
		 cfg.cli, cfg.dir);
	double plain = 0, more = 0;
	if (!first_line(cmd, line, sizeof line) || sscanf(line, "%lf %lf", &plain, &more) != 2 ||
	    plain <= 0) {
		fprintf(bench_md, "\n(rows: check --json gave no row times)\n");
		return;
	}
	fprintf(bench_md,
		"\n| rows of one check | summed time |\n|---|---|\n"
		"| plain: each fixture once, refusal rows | %.0f ms |\n"
		"| concurrent:, race:, paths- places | %.0f ms |\n",
		plain / 1e3, more / 1e3);
	bench_row_csv("harness", "plain_rows", "ms", plain / 1e3, "ms");
	bench_row_csv("harness", "managers_rows", "ms", more / 1e3, "ms");
	bench_target(strdup("whole check ÷ plain rows (same run)"), (plain + more) / plain, 2.0, 1);
}

/* check --generate against the library on tmpfs: layouts per second. */
static void bench_layouts_rate(void)
{
	char shm[] = "/dev/shm/snapfork-bench-gen.XXXXXX", cmd[16384], line[256];
	if (!mkdtemp(shm)) {
		fprintf(bench_md, "\n(layouts/s: no /dev/shm)\n");
		return;
	}
	snprintf(cmd, sizeof cmd,
		 "'%s' check --generate 200 --seed 1 --scratch '%s' --no-shrink 2>/dev/null | "
		 "sed -n 's/^layouts\\/s: \\([0-9.]*\\).*/\\1/p'",
		 cfg.cli, shm);
	double rate = 0;
	if (first_line(cmd, line, sizeof line) && sscanf(line, "%lf", &rate) == 1) {
		fprintf(bench_md, "\n| check --generate 200 --seed 1, library, tmpfs | layouts/s |\n"
				  "|---|---|\n| whole run | %.1f |\n", rate);
		bench_row_csv("harness", "generate", "layouts_per_s", rate, "1/s");
		bench_target(strdup("check --generate, library on tmpfs, layouts/s"), rate, 50.0, 0);
	}
	bench_rm(shm);
}
