/* bench.h - inside snapfork-bench: the configuration and report files
 * (bench.c), measuring and building snapshots (measure.c), the sections
 * of the report (sections.c). */
#ifndef SNAPFORK_BENCH_H
#define SNAPFORK_BENCH_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#include "snapfork.h"

#define GiB (1ull << 30)
#define MiB (1ull << 20)

struct bench_cfg {
	char dir[PATH_MAX], cli[PATH_MAX + 16];
	unsigned sizes[16], nsizes, runs, fast;
	unsigned data_mib, disk_gib;
	const char *csv, *md, *plot, *only;
	int root, reflink;
};
extern struct bench_cfg cfg;
extern FILE *bench_csv, *bench_md; /* the CSV (or NULL) and the markdown being built */

struct stats {
	double med, min, max, p99;
};

enum who { LIB, CLI, CP_SPARSE, CP_REFLINK, RSYNC, LN_CP, NO_LINK, NO_WB, FSYNC, CLI_NO_WB, LN_CP_SYNC, NWHO };
extern const char *const who_name[];

struct target {
	const char *what;
	double value, limit;
	int at_most;
};
extern struct target targets[16];
extern unsigned ntargets;

struct stats bench_stats_of(double *v, unsigned n);
void bench_die(const char *what);
double bench_sh(const char *cmd, long *maxrss);
void bench_rm(const char *path);
void bench_drop_caches(void);
uint64_t bench_allocated(const char *dir);
void bench_make_snapshot(const char *snap, unsigned mem_gib, int disk);
void bench_set_mem_size(const char *snap, unsigned gib);
double bench_fork_with(enum who w, const char *snap, const char *dst, long *rss, enum snapfork_method m);
void bench_row_csv(const char *section, const char *who, const char *param, double value, const char *unit);
void bench_target(const char *what, double value, double limit, int at_most);
void bench_compare(const char *snap, const char *dst, int cold);
void bench_scaling(const char *snap, const char *dst);
void bench_methods(const char *snap, const char *dst);
void bench_fast_path(const char *base, const char *fsname);
/* durability.c: the library's writeback before publishing (the default),
 * against --no-writeback and --fsync, on the bench tree and the fast path. */
void bench_durability(const char *snap, const char *dst, const char *base);
void bench_harness_cost(void);

#endif
