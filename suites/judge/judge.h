/* check.h - the harness's property checks: what a fork must hold under
 * CONTRACT.md, derived on their own from the contract.
 *
 * Nothing here uses libsnapfork: the checker has its own walk, its own
 * reading of the skip rules and its own mem-file lookup, so a bug in the
 * reference implementation cannot hide behind the same bug in its checker.
 */
#ifndef SNAPFORK_JUDGE_H
#define SNAPFORK_JUDGE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

/* One entry of a tree, as lstat saw it. */
struct judge_entry {
	char *rel; /* relative path, "" is never stored */
	mode_t mode;
	off_t size;
	dev_t dev;
	ino_t ino;
	nlink_t nlink;
	blkcnt_t blocks; /* 512-byte units */
	uid_t uid;
	gid_t gid;
	struct timespec mtim;
	char *target; /* symlinks only */
};

struct judge_tree {
	struct judge_entry *e; /* sorted by rel (strcmp) */
	size_t n, cap;
	struct stat root;
	int rootfd; /* O_PATH-less directory fd, kept open for content checks */
};

int judge_tree_load(const char *path, struct judge_tree *t, char *err, size_t errlen);
void judge_tree_free(struct judge_tree *t);
const struct judge_entry *judge_tree_find(const struct judge_tree *t, const char *rel);
/* Open rel below the tree's root, refusing symlinks on the way. */
int judge_open_rel(int rootfd, const char *rel, int flags);

/* What the contract says a fork of a snapshot must look like. */
enum judge_kind { JUDGE_MEMORYLESS, JUDGE_RAW, JUDGE_COMPRESSED };
struct judge_expect {
	enum judge_kind kind;
	const struct judge_entry *mem; /* raw or compressed mem-file in the snapshot */
	const char *raw_rel;         /* where the raw mem-file sits in the fork */
	unsigned char *keep;         /* per snapshot entry: 1 if the fork must hold it */
	size_t skipped;
};
int judge_expect(const struct judge_tree *snap, const char *const *skip, struct judge_expect *x);
void judge_expect_free(struct judge_expect *x);
/* The contract's skip rule for one entry, given its relative path. */
int judge_skipped_by_contract(const char *rel, mode_t mode);

/* The rules of CONTRACT.md are F1..F{JUDGE_RULES}. */
#define JUDGE_RULES 14

/* Violations, each citing its rule. */
struct judge_violation {
	char rule[8]; /* "F1".."F14" */
	char *path;
	char *what; /* expected vs found, in words */
};
struct judge_result {
	struct judge_violation *v;
	size_t n, cap;
	unsigned checked; /* bit i set: rule Fi was checked */
	unsigned failed;  /* bit i set: rule Fi failed */
	unsigned skipped; /* bit i set: rule Fi applied but could not be observed */
	char *skip_reason[JUDGE_RULES + 1];
};
void judge_fail(struct judge_result *r, int rule, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Rule applies but cannot be observed here; the reason is kept. */
void judge_skip(struct judge_result *r, int rule, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void judge_result_free(struct judge_result *r);
int judge_rule_is_should(int rule);
const char *judge_rule_title(int rule);

/* File content checks; each returns 0 if equal/fine, 1 if not (with a
 * description in msg), -errno on I/O error. */
int judge_compare_content(int a, int b, off_t size, char *msg, size_t len);
int judge_extents_within(int copy, int src, off_t size, char *msg, size_t len);
int judge_compare_decompressed(int compressed, const char *name, int raw, char *msg, size_t len);
/* F5's allocation half: the copy allocates no more than the source, at
 * allocation-unit granularity, allowing for filesystem metadata. */
int judge_allocation_within(int copy, int src, uint64_t unit, char *msg, size_t len);

/* F6: what the fork must not change in the snapshot, per entry: type,
 * mode, owner, size, mtime, contents (SHA-256 of the data extents) and
 * symlink target. */
struct judge_state_entry {
	char *rel;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	off_t size;
	struct timespec mtim;
	unsigned char sha[32];
	char *target;
};
struct judge_state {
	struct judge_state_entry *e;
	size_t n;
};
int judge_state_take(const char *dir, struct judge_state *s, char *err, size_t len);
/* Every difference becomes an F6 violation. */
void judge_state_compare(const struct judge_state *before, const struct judge_state *after,
		       struct judge_result *res);
void judge_state_free(struct judge_state *s);
/* Keep only the regular files (and a root that compares equal to any
 * other state's, so filter both sides). */
void judge_state_files_only(struct judge_state *s);

/* F7: in a child process, write a pattern through a MAP_PRIVATE mapping
 * of fork_mem (data pages and hole pages) and check that the file (pread,
 * a MAP_SHARED mapping, after munmap, after POSIX_FADV_DONTNEED),
 * snap_mem and other_mem (a second fork, mapped MAP_PRIVATE) keep their
 * bytes, and that MADV_DONTNEED brings the file's bytes back. */
int judge_map_private(const char *fork_mem, const char *snap_mem, const char *other_mem,
			  struct judge_result *res);
/* The negative control: 1 if writes through a mapping of file with
 * map_flag (MAP_SHARED or MAP_PRIVATE) are seen by pread, 0 if not. */
int judge_map_writes_reach_file(const char *file, int map_flag);
/* F8: a child maps fork_mem; snap_dir is deleted under it; its memory
 * must read the same through the mapping and the file, and st_nlink of
 * fork_mem must fall by one if it shared the snapshot's inode. */
int judge_delete_snapshot(const char *snap_dir, const char *fork_mem, struct judge_result *res);
/* F12 (SHOULD): pages read through fork_mem are resident in a mapping of
 * other_mem (mincore).  Skipped, with the reason, where the kernel makes
 * it unobservable (pages that POSIX_FADV_DONTNEED cannot drop, as on
 * tmpfs).  A violation names rel (the mem-file relative to the fork, as
 * the other rules do), or fork_mem when rel is NULL. */
int judge_page_cache(const char *fork_mem, const char *other_mem, const char *rel,
		     struct judge_result *res);

/* Remove a tree (directories made writable first); 0 or -errno. */
int judge_remove_tree(const char *path);

struct judge_verify_opts {
	const char *const *skip; /* caller skip paths given to the fork */
	int mem_copied;          /* link refused on purpose: judge the mem-file by F11 */
};
/* Check an existing fork against its snapshot: F1-F5, F9, F10, F11.
 * Returns 0 when it could check (violations in res), -errno when it could
 * not read a tree (message in err). */
int judge_verify(const char *snap, const char *fork, const struct judge_verify_opts *o,
	       struct judge_result *res, char *err, size_t errlen);

#endif
