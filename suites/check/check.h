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
};
void sfc_fail(struct sfc_result *r, int rule, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void sfc_result_free(struct sfc_result *r);
int sfc_rule_is_should(int rule);
const char *sfc_rule_title(int rule);

/* File content checks; each returns 0 if equal/fine, 1 if not (with a
 * description in msg), -errno on I/O error. */
int sfc_compare_content(int a, int b, off_t size, char *msg, size_t len);
int sfc_extents_within(int copy, int src, off_t size, char *msg, size_t len);
int sfc_compare_decompressed(int compressed, const char *name, int raw, char *msg, size_t len);

struct sfc_verify_opts {
	const char *const *skip; /* caller skip paths given to the fork */
};
/* Check an existing fork against its snapshot: F1-F5, F9, F10, F11.
 * Returns 0 when it could check (violations in res), -errno when it could
 * not read a tree (message in err). */
int sfc_verify(const char *snap, const char *fork, const struct sfc_verify_opts *o,
	       struct sfc_result *res, char *err, size_t errlen);

#endif
