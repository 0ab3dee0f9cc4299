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

#include "bench.h"
#include "judge.h"
#include "snapfork.h"


struct bench_cfg cfg;
FILE *bench_csv, *bench_md;

/* The head of bench/README.md: the tables below it are this run's. */
static const char md_intro[] =
	"# Benchmark\n"
	"\n"
	"`snapfork-bench` (bench.c) builds a realistic snapshot (a sparse mem-file with 256 "
	"MiB of data in 2 MiB extents, a 2 GiB `overlay.raw` with 5% data, 20 small config "
	"files, a symlink, `logs/`) and times, in rounds with the order of contenders "
	"rotated, the library, the CLI, `cp -a --sparse=always`, `cp -a --reflink=always` "
	"(where supported), `rsync -a --sparse` and `ln` + `cp -a --sparse=always` (also with "
	"`sync -f` before it is done: what the library's default writeback matches), warm and "
	"(as root) cold; ratios are taken within a round and their median reported, so the "
	"shared machine's noise hits both sides. Then fork time and peak RSS against the mem-"
	"file's size, each copy method forced, the fast path, what durability costs (the "
	"default writeback before publishing, --no-writeback, --fsync), and the harness's own "
	"cost. "
	"Like for like in the targets: the default writes its copies back before it "
	"publishes, so it is held against `ln` + `cp` + `sync -f` (which also flushes the whole "
	"filesystem: a harder baseline for the shell), `--no-writeback` against plain `ln` + "
	"`cp`. The fast path forks 1000 times back to back, each fork's writeback queued "
	"behind the removal of the one before; the durability section alternates the modes "
	"round by round: their figures for the same tree differ for that reason. "
	"`suites/run bench` runs it and rewrites this file below this paragraph (CSV and a "
	"plot go to `build/bench/`); `bench/scale.sh` (`suites/run scale`) times 1 GiB "
	"against 64 GiB mem-files alone. Not part of the tests: figures are printed, never "
	"asserted.\n"
	"\n";

static void parse_sizes(const char *s)
{
	cfg.nsizes = 0;
	for (char *p = (char *)s; *p && cfg.nsizes < 16;) {
		cfg.sizes[cfg.nsizes++] = (unsigned)strtoul(p, &p, 10);
		if (*p == ',')
			p++;
	}
}

/* Options into cfg; 0, or the exit status to leave with. */
static int parse(int argc, char **argv, const char **dir)
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
	cfg.runs = 5;
	cfg.fast = 1000;
	cfg.data_mib = 256;
	cfg.disk_gib = 2;
	parse_sizes("1,4,16,64,256");
	int c;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'd':
			*dir = optarg;
			break;
		case 's':
			parse_sizes(optarg);
			break;
		case 'r':
			cfg.runs = (unsigned)atoi(optarg);
			break;
		case 'D':
			cfg.data_mib = (unsigned)atoi(optarg);
			break;
		case 'g':
			cfg.disk_gib = (unsigned)atoi(optarg);
			break;
		case 'f':
			cfg.fast = (unsigned)atoi(optarg);
			break;
		case 'c':
			cfg.csv = optarg;
			break;
		case 'm':
			cfg.md = optarg;
			break;
		case 'p':
			cfg.plot = optarg;
			break;
		case 'o':
			cfg.only = optarg;
			break;
		default:
			fprintf(stderr,
				"usage: snapfork-bench [--dir DIR] [--sizes 1,4,16,64,256] [--runs "
				"N] "
				"[--data MIB] [--disk-gib N] [--fast N] [--csv FILE] [--md FILE] "
				"[--plot FILE.png] [--only "
				"compare|scaling|methods|fast|durability|harness]\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (cfg.runs < 1 || cfg.runs > 64 || cfg.fast < 4 || cfg.nsizes == 0) {
		fprintf(stderr, "snapfork-bench: --runs 1..64, --fast >= 4, --sizes not empty\n");
		return 2;
	}
	return -1;
}

/* Each section asked for (--only), into the markdown. */
static void run_sections(const char *snap, const char *dst, const struct snapfork_probe *pr)
{
#define SECTION(name) (!cfg.only || strcmp(cfg.only, name) == 0)
	if (SECTION("compare")) {
		fprintf(stderr, "comparing methods...\n");
		bench_compare(snap, dst, 0);
		if (cfg.root)
			bench_compare(snap, dst, 1);
		else
			fprintf(bench_md, "\n(cold cache: not measured, dropping caches needs root)\n");
	}
	if (SECTION("scaling")) {
		fprintf(stderr, "scaling...\n");
		bench_scaling(snap, dst);
	}
	if (SECTION("methods")) {
		fprintf(stderr, "copy methods...\n");
		bench_methods(snap, dst);
	}
	if (SECTION("fast")) {
		fprintf(stderr, "fast path...\n");
		bench_fast_path(cfg.dir, pr->fstype);
		/* And on tmpfs, where no disk or journal is in the way. */
		char shm[] = "/dev/shm/snapfork-bench.XXXXXX";
		struct snapfork_probe ps = SNAPFORK_PROBE_INIT;
		if (strcmp(pr->fstype, "tmpfs") != 0 && mkdtemp(shm) &&
		    snapfork_probe_at(AT_FDCWD, shm, &ps) == 0 && strcmp(ps.fstype, "tmpfs") == 0)
			bench_fast_path(shm, "tmpfs");
		bench_rm(shm);
	}
	if (SECTION("durability")) {
		fprintf(stderr, "durability...\n");
		bench_durability(snap, dst, cfg.dir);
	}
	if (SECTION("harness")) {
		fprintf(stderr, "harness...\n");
		bench_harness_cost();
	}
}

/* The targets table, then the markdown to stdout and --md (mdbuf is
 * what bench_md collected). */
static void finish(char **mdbuf)
{
	fprintf(bench_md, "\n### Targets\n\n| target | measured | limit | |\n|---|---|---|---|\n");
	for (unsigned i = 0; i < ntargets; i++) {
		const struct target *t = &targets[i];
		int met = t->at_most ? t->value <= t->limit : t->value >= t->limit;
		fprintf(bench_md, "| %s | %.3f | %s %.1f | %s |\n", t->what, t->value,
			t->at_most ? "≤" : "≥", t->limit, met ? "met" : "MISSED");
	}
	fclose(bench_md);
	fputs(*mdbuf, stdout);
	if (cfg.md) {
		FILE *f = fopen(cfg.md, "w");
		if (f) {
			fputs(*mdbuf, f);
			fclose(f);
		}
	}
	free(*mdbuf);
	if (bench_csv)
		fclose(bench_csv);
}

/* Where the CLI is (beside us), the scratch, the probe of it. */
static void setup(const char *dir, struct snapfork_probe *pr)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	self[n > 0 ? n : 0] = '\0';
	*strrchr(self, '/') = '\0';
	snprintf(cfg.cli, sizeof cfg.cli, "%s/snapfork", self);
	snprintf(cfg.dir, sizeof cfg.dir, "%s/snapfork-bench.XXXXXX", dir ? dir : "/var/tmp");
	if (!mkdtemp(cfg.dir))
		bench_die(cfg.dir);
	cfg.root = geteuid() == 0;
	snapfork_probe_at(AT_FDCWD, cfg.dir, pr);
	cfg.reflink = pr->reflink == 0;
	bench_csv = cfg.csv ? fopen(cfg.csv, "w") : NULL;
	if (bench_csv)
		fputs("section,who,parameter,value,unit\n", bench_csv);
}

int main(int argc, char **argv)
{
	const char *dir = NULL;
	int rc = parse(argc, argv, &dir);
	if (rc >= 0)
		return rc;
	struct snapfork_probe pr = SNAPFORK_PROBE_INIT;
	setup(dir, &pr);
	char *mdbuf = NULL;
	size_t mdlen = 0;
	bench_md = open_memstream(&mdbuf, &mdlen);
	char snap[PATH_MAX + 16], dst[PATH_MAX + 16];
	snprintf(snap, sizeof snap, "%s/snap", cfg.dir);
	snprintf(dst, sizeof dst, "%s/fork", cfg.dir);
	fprintf(stderr,
		"building the snapshot in %s (%u MiB of memory data, %u GiB disk at 5%%)...\n",
		cfg.dir, cfg.data_mib, cfg.disk_gib);
	bench_make_snapshot(snap, 1, 1);
	fputs(md_intro, bench_md);
	fprintf(bench_md, "## snapfork-bench on %s (%s; reflink %s), %u rounds\n", cfg.dir,
		pr.fstype, cfg.reflink ? "yes" : "no", cfg.runs);
	run_sections(snap, dst, &pr);
	finish(&mdbuf);
	bench_rm(cfg.dir);
	return 0;
}
