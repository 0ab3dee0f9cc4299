/* durability.c - what the reference's default costs (issue 22): each
 * copied file's data written back (sync_file_range) before the rename
 * that publishes DST, so that a power cut leaves DST absent or whole
 * (CONTRACT.md C3; snapfork powercut found a plain fork on ext4 coming
 * back with files of zeros without it).  Against --no-writeback (the old
 * default) and --fsync (durable once it returned: C4), in rounds with the
 * order rotated, ratios within each round; on the bench tree (data to
 * write back: the overlay's extents and the configs) and on the fast
 * path's small tree. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "snapfork.h"

static void durability_on(const char *what, const char *snap, const char *dst, unsigned runs)
{
	enum who list[] = { LIB, NO_WB, FSYNC };
	double *t[3], *ratio[3];
	for (unsigned k = 0; k < 3; k++) {
		t[k] = calloc(runs, sizeof *t[k]);
		ratio[k] = calloc(runs, sizeof *ratio[k]);
		if (!t[k] || !ratio[k]) {
			fprintf(stderr, "snapfork-bench: out of memory\n");
			exit(1);
		}
	}
	for (unsigned r = 0; r < runs; r++) {
		for (unsigned j = 0; j < 3; j++) {
			unsigned k = (j + r) % 3;
			t[k][r] = bench_fork_with(list[k], snap, dst, NULL, SNAPFORK_METHOD_AUTO);
			bench_rm(dst);
		}
		for (unsigned k = 0; k < 3; k++)
			ratio[k][r] = t[k][r] / t[1][r];
	}
	fprintf(bench_md, "\n### Durability on %s (%u rounds, order rotated)\n\n", what, runs);
	fprintf(bench_md, "| fork | median | min | max | ÷ --no-writeback, median of rounds |\n"
			  "|---|---|---|---|---|\n");
	static const char *const names[] = { "snapfork (library, default: writeback)",
					     "snapfork --no-writeback", "snapfork --fsync" };
	for (unsigned k = 0; k < 3; k++) {
		struct stats s = bench_stats_of(t[k], runs), q = bench_stats_of(ratio[k], runs);
		fprintf(bench_md, "| %s | %.3f ms | %.3f ms | %.3f ms | %.2f |\n", names[k],
			s.med * 1e3, s.min * 1e3, s.max * 1e3, q.med);
		bench_row_csv("durability", who_name[list[k]], "median_ms", s.med * 1e3, "ms");
	}
	for (unsigned k = 0; k < 3; k++)
		free(t[k]), free(ratio[k]);
}

void bench_durability(const char *snap, const char *dst, const char *base)
{
	durability_on("the bench tree", snap, dst, cfg.runs);
	char small[PATH_MAX + 16], sdst[PATH_MAX + 16];
	snprintf(small, sizeof small, "%s/durable-small", base);
	snprintf(sdst, sizeof sdst, "%s/durable-small-fork", base);
	bench_make_snapshot(small, 1, 0);
	durability_on("the fast path's tree (20 small files)", small, sdst,
		      cfg.fast / 4 < 64 ? cfg.fast / 4 + 1 : 64);
	bench_rm(small);
}
