/* internal.h - shared by libsnapfork's files; not installed. */
#ifndef SNAPFORK_INTERNAL_H
#define SNAPFORK_INTERNAL_H

#include <dirent.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "snapfork.h"

/* A relative path grown and shrunk as the walk descends; no PATH_MAX limit,
 * since everything is fd-relative and the string only serves error reports. */
struct relpath {
	char *buf;
	size_t len, cap;
};
int relpath_push(struct relpath *p, const char *name, size_t *saved);
void relpath_pop(struct relpath *p, size_t saved);
void relpath_free(struct relpath *p);

/* The skip and refuse rules of CONTRACT.md for one directory entry.
 * depth is 0 for entries directly in the snapshot root. */
enum sf_class { SF_COPY, SF_SKIP, SF_REFUSE };
enum sf_class sf_classify(unsigned depth, const char *name, mode_t mode, const char **reason);
/* The caller's skip rule, the one matcher the walk and the mem-file
 * lookup share: 1 if rel is a listed path or lies below one.  skip holds
 * normalised relative paths (fork.c), NULL-terminated, or is NULL. */
int sf_skip_listed(const char *const *skip, const char *rel);

/* The raw or compressed mem-file, found before the walk. */
struct memfile {
	enum snapfork_kind kind;
	char *rel;     /* relative path of the file found (raw or compressed) */
	char *raw_rel; /* relative path of the raw file in the fork */
	dev_t dev;
	ino_t ino;
	uint64_t size;
};

/* writeback.c: copied files whose writeback was started, oldest first. */
#define SF_WB_WINDOW 32
struct sf_writeback {
	int fd[SF_WB_WINDOW];
	char *rel[SF_WB_WINDOW];
	unsigned head, n;
	int btrfs; /* DST's filesystem: 0 not known yet, 1 not btrfs, 2 btrfs */
};

struct ctx {
	struct snapfork_options opt;
	struct snapfork_report *rep;
	const char *const *skip; /* normalised caller skip paths, NULL-terminated */
	struct relpath path;
	struct memfile mem;
	char *buf;      /* 1 MiB copy buffer, allocated on first use */
	int no_reflink; /* FICLONE said "not supported" in this fork: AUTO skips it */
	struct sf_writeback wb;
};

/* writeback.c.  Wanted: neither --fsync (which flushes each file itself)
 * nor SNAPFORK_NO_WRITEBACK.  add: start fd's writeback and keep it (fd
 * is the window's now, closed by it, also on failure); the oldest is
 * waited for when the window is full.  end: wait for every file's (wait)
 * or only close them (a failed fork); 0 or the first failure. */
int sf_writeback_wanted(const struct ctx *c);
int sf_writeback_add(struct ctx *c, int fd, const char *rel);
int sf_writeback_end(struct ctx *c, int wait);
/* One file's data on the disk the same way, now: 0 or -errno. */
int sf_data_on_disk(int fd);

/* Record the first failure: where and why.  Each returns err, so callers
 * can `return sf_fail(...)`.  sf_fail: the walk's current path on side;
 * sf_fail_rel: a relative path on side; sf_fail_path: a caller's path. */
int sf_fail(struct ctx *c, int err, enum snapfork_side side, const char *reason);
int sf_fail_rel(struct ctx *c, int err, enum snapfork_side side, const char *rel,
		const char *reason);
int sf_fail_path(struct ctx *c, int err, const char *path, const char *reason);

/* errno classes from CONTRACT.md / domain notes. */
int sf_errno_fallback(int err);      /* try the next method (only before any write) */
int sf_errno_link_fallback(int err); /* a refused link: copy instead */

/* What one file copy did, returned to its caller. */
struct sf_copy {
	enum snapfork_via via;   /* the method that did it (or failed last) */
	uint64_t copied;         /* data bytes moved (holes not counted); reflink: the size */
	int fallback_err;        /* errno that made the last method fall back, or 0 */
	const char *reason;      /* on failure: the failing step */
	enum snapfork_side side; /* on failure: the side it is about */
};
/* Copy the regular file sfd (described by st) into the empty file dfd;
 * *res says how, or where and why it failed. */
int sf_copy_fd(struct ctx *c, int sfd, const struct stat *st, int dfd, enum snapfork_method m,
	       struct sf_copy *res);
/* Copy the regular file name of sdir into a new file name of ddir, mode
 * and all, after checking it is still the inode ino; failures are
 * reported at rel.  *res and *st say how, and what was copied. */
int sf_copy_file(struct ctx *c, int sdir, int ddir, const char *name, ino_t ino, const char *rel,
		 struct sf_copy *res, struct stat *st);
/* Write len bytes at off, leaving 4 KiB blocks that are all zero as holes
 * (the file must already be sized or be extended by a later ftruncate). */
int sf_write_sparse(int fd, const char *buf, size_t len, off_t off);
int sf_pwrite_full(int fd, const char *buf, size_t len, off_t off);

/* Open the directory at relative path rel below root, never following a
 * symlink, and split off the last component into *base. */
int sf_open_parent(int root, const char *rel, const char **base);

int sf_memfile_find(struct ctx *c, int sroot);
int sf_memfile_materialize(struct ctx *c, int sroot);
int sf_memfile_place(struct ctx *c, int sroot, int droot);
/* Decompress sfd (named src_name: .zst or .lz4) into dir/raw_name via
 * raw_name.tmp and a rename, its data written back (or fsynced) first as
 * durable says: the rename must not outlive the data in a power cut.  0
 * on success; a positive errno when the stream itself is bad (the caller
 * falls back); a negative errno on a fatal error. */
enum sf_durable { SF_DURABLE_NONE, SF_DURABLE_WRITEBACK, SF_DURABLE_FSYNC };
int sf_decompress_fd(int sfd, const char *src_name, int dir, const char *raw_name,
		     enum sf_durable durable, uint64_t *size,
		     const char **reason);

int sf_walk(struct ctx *c, int sdir, int ddir, unsigned depth);

/* mkdir name in parent, 0700 whatever the umask; 0 or -errno (-EAGAIN:
 * made, then removed by someone else before it was 0700). */
int sf_stage_mkdir(int parent, const char *name);
/* A staging directory beside dstname (its name into out), made 0700 and
 * locked for the caller's life: its descriptor, or -errno. */
int sf_stage_create(int parent, const char *dstname, char out[static NAME_MAX + 1]);
/* 1 if name has the form of a staging directory's (stage.c). */
int sf_stage_is_name(const char *name);
/* clean.c: remove the staging that dead forks left in dir (counts and
 * calls into c, which may be NULL); 0 or the first -errno. */
int sf_stage_sweep(int dir, struct snapfork_clean *c);
int sf_stage_publish(int parent, const char *stage, const char *dst);
int sf_rmtree_at(int dirfd, const char *name);

/* A directory stream on a dup of dirfd, read from the start (closedir
 * closes the dup only): 0 or -errno. */
int sf_opendir_dup(int dirfd, DIR **out);
/* A name of our own beside base, unlikely to exist: see util.c. */
void sf_tmpname(const char *base, char out[static NAME_MAX + 1]);
int sf_ends_with(const char *s, const char *suffix);

/* renameat2(2) flag (Linux 3.15); older libc headers lack the name. */
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

uint64_t sf_now_ns(void);

/* The public structs' size rule (abi.c).  sf_struct_in copies a caller's
 * struct (its size at offset 0) into ours: -EINVAL below min, -E2BIG when
 * it sets fields we do not know.  sf_struct_size_ok: its size is at least
 * min.  sf_struct_out writes ours into the caller's, no byte past its size. */
int sf_struct_in(void *ours, size_t ours_size, const void *theirs, uint32_t min);
int sf_struct_size_ok(const void *theirs, uint32_t min);
void sf_struct_out(void *theirs, const void *ours, size_t ours_size);

#endif
