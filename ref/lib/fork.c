/* fork.c - snapfork_fork: checks, staging, walk, mem-file, publish. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define ROOT_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

/* Split DST into its parent (opened, symlinks in it followed as for any
 * user-given path) and a last component that must be a plain name. */
static int open_dst_parent(struct ctx *c, int dirfd, const char *dst, char *base, size_t baselen)
{
	size_t n = strlen(dst);
	while (n > 1 && dst[n - 1] == '/')
		n--;
	size_t i = n;
	while (i > 0 && dst[i - 1] != '/')
		i--;
	size_t blen = n - i;
	if (blen == 0 || blen >= baselen || (blen == 1 && dst[i] == '.') ||
	    (blen == 2 && dst[i] == '.' && dst[i + 1] == '.'))
		return sf_fail_path(c, -EINVAL, dst, "DST must end in a plain name");
	memcpy(base, dst + i, blen);
	base[blen] = '\0';
	char *parent = i == 0 ? strdup(".") : strndup(dst, i);
	if (!parent)
		return sf_fail_path(c, -ENOMEM, dst, NULL);
	int fd = openat(dirfd, parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int e = errno;
	free(parent);
	if (fd < 0)
		return sf_fail_path(c, -e, dst, "cannot open the parent directory");
	return fd;
}

/* 1 if the directory fd is root or lies below it (dev/ino of each ancestor,
 * walked up through ".."), 0 if not, -errno on error. */
static int is_below(int fd, const struct stat *root)
{
	int cur = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (cur < 0)
		return -errno;
	for (int i = 0; i < 4096; i++) {
		struct stat st, up;
		if (fstat(cur, &st) < 0)
			break;
		if (st.st_dev == root->st_dev && st.st_ino == root->st_ino) {
			close(cur);
			return 1;
		}
		int next = openat(cur, "..", ROOT_FLAGS);
		if (next < 0)
			break;
		close(cur);
		cur = next;
		if (fstat(cur, &up) < 0 || (up.st_dev == st.st_dev && up.st_ino == st.st_ino))
			break; /* reached "/" */
	}
	close(cur);
	return 0;
}

static int check_dst(struct ctx *c, int sroot, const struct stat *sst, int parent, const char *base,
		     const char *dst)
{
	struct stat st;
	if (fstatat(parent, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (st.st_dev == sst->st_dev && st.st_ino == sst->st_ino)
			return sf_fail_path(c, -EEXIST, dst, "SRC and DST are the same directory");
		if (S_ISDIR(st.st_mode)) {
			int d = openat(parent, base, ROOT_FLAGS);
			struct stat dst_st;
			int below = d >= 0 && fstat(d, &dst_st) == 0 ? is_below(sroot, &dst_st) : 0;
			if (d >= 0)
				close(d);
			if (below == 1)
				return sf_fail_path(c, -EINVAL, dst, "SRC is inside DST");
		}
		return sf_fail_path(c, -EEXIST, dst, "DST already exists");
	}
	if (errno != ENOENT)
		return sf_fail_path(c, -errno, dst, "cannot stat DST");
	int below = is_below(parent, sst);
	if (below < 0)
		return sf_fail_path(c, below, dst, "cannot check where DST lies");
	if (below)
		return sf_fail_path(c, -EINVAL, dst, "DST is inside SRC");
	return 0;
}

static int open_src(struct ctx *c, int dirfd, const char *src, struct stat *st)
{
	int fd = openat(dirfd, src, ROOT_FLAGS);
	if (fd < 0) {
		int e = errno;
		struct stat lst;
		const char *why = "cannot open SRC";
		if (fstatat(dirfd, src, &lst, AT_SYMLINK_NOFOLLOW) == 0) {
			if (S_ISLNK(lst.st_mode)) {
				/* O_DIRECTORY|O_NOFOLLOW says ENOTDIR; the cause is the link. */
				e = ELOOP;
				why = "SRC is a symlink; give the directory it points to";
			} else if (!S_ISDIR(lst.st_mode))
				why = "SRC is not a directory";
		}
		return sf_fail_path(c, -e, src, why);
	}
	if (fstat(fd, st) < 0) {
		int e = errno;
		close(fd);
		return sf_fail_path(c, -e, src, "cannot stat SRC");
	}
	return fd;
}

static int normalise_skip(struct ctx *c, char ***out)
{
	size_t n = 0;
	const char *const *s = c->opt.skip;
	while (s && s[n])
		n++;
	char **v = calloc(n + 1, sizeof *v);
	if (!v)
		return -ENOMEM;
	*out = v;
	for (size_t i = 0; i < n; i++) {
		const char *p = s[i];
		while (p[0] == '.' && p[1] == '/')
			p += 2;
		while (*p == '/')
			p++;
		size_t len = strlen(p);
		while (len > 0 && p[len - 1] == '/')
			len--;
		if (!(v[i] = strndup(p, len)))
			return -ENOMEM;
		if (len == 0 || strstr(v[i], "//") || strcmp(v[i], "..") == 0 ||
		    strncmp(v[i], "../", 3) == 0 || strstr(v[i], "/../") ||
		    (len >= 3 && strcmp(v[i] + len - 3, "/..") == 0))
			return sf_fail_path(c, -EINVAL, s[i],
					    "skip path must be relative, below SRC");
	}
	return 0;
}

static void free_strv(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* Fill the staging directory; on success it holds the complete fork. */
static int build(struct ctx *c, int sroot, const struct stat *sst, int droot)
{
	int r = sf_walk(c, sroot, droot, 0);
	if (r == 0)
		r = sf_memfile_place(c, sroot, droot);
	/* Every copied file's data on the disk before the rename publishes
	 * them (writeback.c); a failed fork only closes them. */
	int w = sf_writeback_end(c, r == 0);
	if (r == 0)
		r = w;
	if (r == 0 && fchmod(droot, sst->st_mode & 07777) < 0)
		r = sf_fail_rel(c, -errno, SNAPFORK_SIDE_DST, "", "chmod failed");
	if (r == 0 && (c->opt.flags & SNAPFORK_FSYNC) && fsync(droot) < 0)
		r = sf_fail_rel(c, -errno, SNAPFORK_SIDE_DST, "", "fsync failed");
	return r;
}

static int fork_staged(struct ctx *c, int sroot, const struct stat *sst, int parent,
		       const char *base, const char *dst)
{
	char stage[NAME_MAX + 1];
	/* What forks that died here left first (best effort: a staging
	 * directory we may not remove is someone else's to clean). */
	sf_stage_sweep(parent, NULL);
	/* droot holds the staging directory's lock until we return: a sweep
	 * by another fork or snapfork clean leaves it alone till then. */
	int droot = sf_stage_create(parent, base, stage);
	if (droot < 0)
		return sf_fail_path(c, droot, dst, "cannot create the staging directory");
	int r = build(c, sroot, sst, droot);
	if (r == 0 && (r = sf_stage_publish(parent, stage, base)) < 0)
		sf_fail_path(c, r, dst,
			     r == -EEXIST ? "DST appeared during the fork"
					  : "publishing the fork failed");
	if (r == 0 && (c->opt.flags & SNAPFORK_FSYNC) && fsync(parent) < 0) {
		/* Published but not durable: a failed fork must leave nothing,
		 * so take it back under its staging name, then remove it. */
		r = sf_fail_path(c, -errno, dst, "fsync of the parent directory failed");
		if (renameat(parent, base, parent, stage) < 0) {
			close(droot);
			return r;
		}
	}
	if (r < 0) /* F13: a failed fork leaves nothing */
		sf_rmtree_at(parent, stage);
	close(droot);
	return r;
}

static int fork_roots(struct ctx *c, int sdirfd, const char *src, int ddirfd, const char *dst)
{
	struct stat sst;
	char base[NAME_MAX + 1];
	int sroot = open_src(c, sdirfd, src, &sst);
	if (sroot < 0)
		return sroot;
	int r, parent = open_dst_parent(c, ddirfd, dst, base, sizeof base);
	if (parent < 0) {
		close(sroot);
		return parent;
	}
	r = check_dst(c, sroot, &sst, parent, base, dst);
	if (r == 0)
		r = sf_memfile_find(c, sroot);
	if (r == 0 && (c->opt.flags & SNAPFORK_MATERIALIZE))
		r = sf_memfile_materialize(c, sroot);
	if (r == 0)
		r = fork_staged(c, sroot, &sst, parent, base, dst);
	close(parent);
	close(sroot);
	return r;
}

/* This version's layouts are the first ones: sizes the header promises. */
_Static_assert(sizeof(struct snapfork_options) == SNAPFORK_OPTIONS_SIZE_VER1,
	       "snapfork_options changed: append fields and add a _VER2 size");
_Static_assert(sizeof(struct snapfork_report) == SNAPFORK_REPORT_SIZE_VER1,
	       "snapfork_report changed: append fields and add a _VER2 size");

/* The fork itself, on this library's own options and report. */
static int fork_with(struct ctx *c, int src_dirfd, const char *src, int dst_dirfd,
		     const char *dst)
{
	char **skip = NULL;
	if (c->opt.max_depth == 0)
		c->opt.max_depth = 1024;
	if ((unsigned)c->opt.method > SNAPFORK_METHOD_RW)
		return sf_fail_path(c, -EINVAL, "", "unknown copy method");
	int r = normalise_skip(c, &skip);
	c->skip = (const char *const *)skip;
	if (r == 0)
		r = fork_roots(c, src_dirfd, src, dst_dirfd, dst);
	else /* a bad path was said with its name already (the first error is
	      * kept): only ENOMEM is said here */
		sf_fail_path(c, r, "", "out of memory");
	free_strv(skip);
	return r;
}

int snapfork_fork_at(int src_dirfd, const char *src, int dst_dirfd, const char *dst,
		     const struct snapfork_options *opts, struct snapfork_report *report)
{
	struct snapfork_report rep = { .size = sizeof rep };
	struct ctx c;
	uint64_t t0 = sf_now_ns();

	memset(&c, 0, sizeof c);
	c.rep = &rep;
	if (report && !sf_struct_size_ok(report, SNAPFORK_REPORT_SIZE_VER1))
		return -EINVAL;
	int r = opts ? sf_struct_in(&c.opt, sizeof c.opt, opts, SNAPFORK_OPTIONS_SIZE_VER1) : 0;
	if (r < 0)
		return r;
	r = fork_with(&c, src_dirfd, src, dst_dirfd, dst);
	free(c.mem.rel);
	free(c.mem.raw_rel);
	free(c.buf);
	relpath_free(&c.path);
	rep.elapsed_ns = sf_now_ns() - t0;
	if (report)
		sf_struct_out(report, &rep, sizeof rep);
	return r;
}

int snapfork_fork(const char *src, const char *dst, const struct snapfork_options *opts,
		  struct snapfork_report *report)
{
	return snapfork_fork_at(AT_FDCWD, src, AT_FDCWD, dst, opts, report);
}
