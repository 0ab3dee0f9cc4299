/* check.h - the harness's property checks: what a fork must hold under
 * CONTRACT.md, derived on their own from the contract.
 *
 * Nothing here uses libsnapfork: the checker has its own walk, its own
 * reading of the skip rules and its own mem-file lookup, so a bug in the
 * reference implementation cannot hide behind the same bug in its checker.
 */
#ifndef SNAPFORK_CHECK_H
#define SNAPFORK_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

/* One entry of a tree, as lstat saw it. */
struct sfc_entry {
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

struct sfc_tree {
	struct sfc_entry *e; /* sorted by rel (strcmp) */
	size_t n, cap;
	struct stat root;
	int rootfd; /* O_PATH-less directory fd, kept open for content checks */
};

int sfc_tree_load(const char *path, struct sfc_tree *t, char *err, size_t errlen);
void sfc_tree_free(struct sfc_tree *t);
const struct sfc_entry *sfc_tree_find(const struct sfc_tree *t, const char *rel);
/* Open rel below the tree's root, refusing symlinks on the way. */
int sfc_open_rel(int rootfd, const char *rel, int flags);

/* What the contract says a fork of a snapshot must look like. */
enum sfc_kind { SFC_MEMORYLESS, SFC_RAW, SFC_COMPRESSED };
struct sfc_expect {
	enum sfc_kind kind;
	const struct sfc_entry *mem; /* raw or compressed mem-file in the snapshot */
	const char *raw_rel;         /* where the raw mem-file sits in the fork */
	unsigned char *keep;         /* per snapshot entry: 1 if the fork must hold it */
	size_t skipped;
};
int sfc_expect(const struct sfc_tree *snap, const char *const *skip, struct sfc_expect *x);
void sfc_expect_free(struct sfc_expect *x);
/* The contract's skip rule for one entry, given its relative path. */
int sfc_skipped_by_contract(const char *rel, mode_t mode);

/* Violations, each citing its rule. */
struct sfc_violation {
	char rule[8]; /* "F1".."F13" */
	char *path;
	char *what; /* expected vs found, in words */
};
struct sfc_result {
	struct sfc_violation *v;
	size_t n, cap;
	unsigned checked; /* bit i set: rule Fi was checked */
	unsigned failed;  /* bit i set: rule Fi failed */
	unsigned skipped; /* bit i set: rule Fi applied but could not be observed */
	char *skip_reason[14];
};
void sfc_fail(struct sfc_result *r, int rule, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Rule applies but cannot be observed here; the reason is kept. */
void sfc_skip(struct sfc_result *r, int rule, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void sfc_result_free(struct sfc_result *r);
int sfc_rule_is_should(int rule);
const char *sfc_rule_title(int rule);

/* File content checks; each returns 0 if equal/fine, 1 if not (with a
 * description in msg), -errno on I/O error. */
int sfc_compare_content(int a, int b, off_t size, char *msg, size_t len);
int sfc_extents_within(int copy, int src, off_t size, char *msg, size_t len);
int sfc_compare_decompressed(int compressed, const char *name, int raw, char *msg, size_t len);
/* F5's allocation half: the copy allocates no more than the source, at
 * allocation-unit granularity, allowing for filesystem metadata. */
int sfc_allocation_within(int copy, int src, uint64_t unit, char *msg, size_t len);

/* F6: what the fork must not change in the snapshot, per entry: type,
 * mode, owner, size, mtime, contents (SHA-256 of the data extents) and
 * symlink target. */
struct sfc_state_entry {
	char *rel;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	off_t size;
	struct timespec mtim;
	unsigned char sha[32];
	char *target;
};
struct sfc_state {
	struct sfc_state_entry *e;
	size_t n;
};
int sfc_state_take(const char *dir, struct sfc_state *s, char *err, size_t len);
/* Every difference becomes an F6 violation. */
void sfc_state_compare(const struct sfc_state *before, const struct sfc_state *after,
		       struct sfc_result *res);
void sfc_state_free(struct sfc_state *s);

/* F7: in a child process, write a pattern through a MAP_PRIVATE mapping
 * of fork_mem (data pages and hole pages) and check that the file (pread,
 * a MAP_SHARED mapping, after munmap, after POSIX_FADV_DONTNEED),
 * snap_mem and other_mem (a second fork, mapped MAP_PRIVATE) keep their
 * bytes, and that MADV_DONTNEED brings the file's bytes back. */
int sfc_check_map_private(const char *fork_mem, const char *snap_mem, const char *other_mem,
			  struct sfc_result *res);
/* The negative control: 1 if writes through a mapping of file with
 * map_flag (MAP_SHARED or MAP_PRIVATE) are seen by pread, 0 if not. */
int sfc_map_writes_reach_file(const char *file, int map_flag);
/* F8: a child maps fork_mem; snap_dir is deleted under it; its memory
 * must read the same through the mapping and the file, and st_nlink of
 * fork_mem must fall by one if it shared the snapshot's inode. */
int sfc_check_delete_snapshot(const char *snap_dir, const char *fork_mem, struct sfc_result *res);
/* F12 (SHOULD): pages read through fork_mem are resident in a mapping of
 * other_mem (mincore).  Skipped, with the reason, where the kernel makes
 * it unobservable (pages that POSIX_FADV_DONTNEED cannot drop, as on
 * tmpfs). */
int sfc_check_page_cache(const char *fork_mem, const char *other_mem, struct sfc_result *res);

/* Remove a tree (directories made writable first); 0 or -errno. */
int sfc_remove_tree(const char *path);

struct sfc_verify_opts {
	const char *const *skip; /* caller skip paths given to the fork */
	int mem_copied;          /* link refused on purpose: judge the mem-file by F11 */
};
/* Check an existing fork against its snapshot: F1-F5, F9, F10, F11.
 * Returns 0 when it could check (violations in res), -errno when it could
 * not read a tree (message in err). */
int sfc_verify(const char *snap, const char *fork, const struct sfc_verify_opts *o,
	       struct sfc_result *res, char *err, size_t errlen);

#endif
