/* crash.h - `snapfork crash`: a fork killed at every point where it
 * changes a filesystem (CONTRACT.md C1, C2).  trace.c runs the fork under
 * ptrace and kills its whole tree at the k-th such system call
 * (syscalls.c says which they are); points.c chooses the points; point.c
 * judges what one kill left (DST absent or complete, SRC untouched, what
 * is left beside DST removed by the cleanup, the link counts of SRC's
 * files);
 * cmd_crash.c is the command.  Prefix crash_. */
#ifndef SNAPFORK_CRASH_H
#define SNAPFORK_CRASH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "fixture.h"

struct judge_state;
struct layout;

#define CRASH_MAX_POINTS 200000 /* a fork making more is an error */

/* The name of the call if it is a point (it changes a filesystem: the
 * write family on a file, copy_file_range, FICLONE, open with O_CREAT,
 * O_TRUNC or write access, mkdir, link, symlink, the rename family,
 * unlink, chmod/chown, utimensat, truncate, fallocate, fsync, ...), else
 * NULL.  pid's fds are looked at: a write to a pipe is no point. */
const char *crash_syscall_point(pid_t pid, long nr, const unsigned long long *args);
/* Writes to this file are no point either (the fork's own output log). */
void crash_syscall_ignore(dev_t dev, ino_t ino);

struct crash_trace {
	unsigned kill_at;  /* the point to kill at (1-based); 0: none */
	unsigned n;        /* points met */
	const char **name; /* of each point met, up to cap (may be NULL) */
	size_t cap;
	int killed; /* the tree was killed at kill_at */
	int status; /* the command's wait status, -1 if unknown */
};

/* Run argv (its own process group, its output into log) under ptrace to
 * its end, or to the point tr->kill_at, where every task it started is
 * killed before that call runs.  0, or -ETIMEDOUT / -EINTR (everything
 * killed), -EPERM (ptrace refused here: seccomp, Yama), -errno. */
int crash_trace_run(char *const *argv, const char *log, struct crash_trace *tr, int64_t deadline);

/* Which points to try of total (names: each one's call): every one when
 * there are at most max; otherwise the last rename (a publish) and its
 * neighbours, then the other renames and links with theirs, evenly spaced
 * when they are too many, then the rest evenly spaced from an offset
 * drawn from seed.  Ascending, into out (max entries); their count. */
size_t crash_points(unsigned total, const char *const *names, unsigned max, uint64_t seed,
		    unsigned *out);

struct crash_opts {
	const char *fork_tmpl;  /* {src} {dst}: the fork command */
	const char *clean_tmpl; /* {dir}: the cleanup; NULL: none documented */
	const char *scratch;
	unsigned timeout_s; /* per run */
};

/* What one kill left. */
enum crash_state { CS_ABSENT, CS_COMPLETE, CS_PARTIAL };

struct crash_point {
	enum crash_state dst;
	int src_changed; /* F6 */
	int debris;      /* entries beside DST before the cleanup */
	int not_cleaned; /* entries beside DST after it, or the link count off */
	unsigned failed; /* bit k: rule Fk failed (DST's, and F6) */
	char what[1024]; /* the first thing wrong, or "" */
};

/* point.c: what a fork left at dst, judged by the contract alone against
 * snap (absent, or F1-F5 and F9-F11 as `snapfork verify` judges), into p;
 * and whether snap is still as before was (F6).  Also for power cuts. */
void crash_judge_dst(const char *snap, const char *dst, struct crash_point *p);
void crash_judge_src(const char *snap, const struct judge_state *before, struct crash_point *p);

/* links.c: every regular file's link count under a directory. */
struct crash_link {
	dev_t dev;
	ino_t ino;
	nlink_t nlink;
	char *path; /* relative */
};
struct crash_links {
	struct crash_link *v;
	size_t n, cap, skip;
};
int crash_links_take(const char *dir, struct crash_links *l);
/* 1 (what says which file, and its counts) if a file's count differs. */
int crash_links_differ(const struct crash_links *before, const struct crash_links *after,
		       char *what, size_t len);
void crash_links_free(struct crash_links *l);

/* Where a row's snapshot comes from: a fixture's tar, or a generated
 * layout (suites/layouts). */
struct crash_source {
	const char *name;
	const struct fixture *f; /* or NULL */
	const struct layout *l;  /* or NULL */
	int refused;             /* the contract makes a fork of it fail */
	const char *rerun;       /* --fixture's argument, or NULL (a layout) */
	unsigned index;          /* a layout's number (--layout) */
};

/* A snapshot made into dir/snap, its forks into dir/p/fork. */
struct crash_fixture {
	const struct crash_source *src;
	char dir[4096], snap[4200], parent[4200], dst[4300], log[4200];
	struct crash_links links; /* before any fork */
	struct judge_state *before;
};

int crash_fixture_open(const struct crash_opts *o, const struct crash_source *src,
		       struct crash_fixture *cf, char *err, size_t len);
void crash_fixture_close(struct crash_fixture *cf);
/* Fork cf's snapshot, killed at point k (0: not killed; tr gets what the
 * run met), and judge what it left into p; cf is ready for the next run
 * after.  0, or -errno (setup: err). */
int crash_point_run(const struct crash_opts *o, struct crash_fixture *cf, unsigned k,
		    struct crash_trace *tr, struct crash_point *p, char *err, size_t len);

/* run.c: one fixture's counting run, its points, what they left, printed;
 * the exit status (0, 1 a point failed, 2 setup). */
struct crash_plan {
	unsigned max, point; /* --points, --point (0: all) */
	uint64_t seed;
	const char *user_fork, *user_clean; /* as given, for the rerun line */
	const char *scratch;                 /* --scratch as given, or NULL */
	unsigned timeout;                    /* --fork-timeout, or 0 */
};
int crash_fixture_main(const struct crash_plan *pl, const struct crash_opts *co,
		       const struct crash_source *src);

/* replay.c: a dm-log-writes log (power cuts). */
enum {
	CRASH_LOG_FLUSH = 1,
	CRASH_LOG_FUA = 2,
	CRASH_LOG_DISCARD = 4,
	CRASH_LOG_MARK = 8,
	CRASH_LOG_METADATA = 16,
};
struct crash_log {
	int fd;
	uint64_t sectorsize, entries, next, pos; /* pos: the next entry's offset */
};
struct crash_log_entry {
	uint64_t index, sector, nr_sectors, flags, data_len, data_at;
	char mark[64]; /* a MARK's name */
};
/* Open and check the super block: 0 or -errno (err says why). */
int crash_log_open(const char *path, struct crash_log *l, char *err, size_t len);
void crash_log_close(struct crash_log *l);
/* The next entry into e: 1, 0 at the end, -EIO when the log is short. */
int crash_log_next(struct crash_log *l, struct crash_log_entry *e);
/* Write e's data (zeros for a discard) to dev at its sector: 0 or -errno. */
int crash_log_apply(const struct crash_log *l, const struct crash_log_entry *e, int dev);

#endif
