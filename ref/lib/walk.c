/* walk.c - copy a snapshot tree fd-relative, never following a symlink.
 *
 * Every entry is reached with openat/fstatat relative to its parent's fd,
 * so paths longer than PATH_MAX work and a directory swapped for a symlink
 * during the walk is refused (O_NOFOLLOW gives ELOOP) instead of followed.
 * Each level holds two fds; opts.max_depth bounds the nesting.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

struct names {
	char **v;
	size_t n, cap;
};

static void names_free(struct names *ns)
{
	for (size_t i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read a directory whole, sorted, so the walk order is reproducible and no
 * DIR stream stays open while we descend (one fd per level, not two). */
static int read_names(int dirfd, struct names *ns)
{
	DIR *d;
	int r = sf_opendir_dup(dirfd, &d);
	if (r < 0)
		return r;
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (!de) {
			r = -errno;
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (ns->n == ns->cap) {
			size_t cap = ns->cap ? ns->cap * 2 : 16;
			char **v = realloc(ns->v, cap * sizeof *v);
			if (!v) {
				r = -ENOMEM;
				break;
			}
			ns->v = v;
			ns->cap = cap;
		}
		if (!(ns->v[ns->n] = strdup(de->d_name))) {
			r = -ENOMEM;
			break;
		}
		ns->n++;
	}
	closedir(d);
	if (r == 0 && ns->n > 1)
		qsort(ns->v, ns->n, sizeof *ns->v, cmp_name);
	return r;
}

static int copy_symlink(struct ctx *c, int sdir, int ddir, const char *name)
{
	char target[PATH_MAX + 1];
	ssize_t n = readlinkat(sdir, name, target, sizeof target);
	if (n < 0)
		return sf_fail(c, -errno, SNAPFORK_SIDE_SRC, "readlink failed");
	if ((size_t)n >= sizeof target) /* the kernel caps targets at PATH_MAX - 1 */
		return sf_fail(c, -ENAMETOOLONG, SNAPFORK_SIDE_SRC, "symlink target too long");
	target[n] = '\0';
	if (symlinkat(target, ddir, name) < 0)
		return sf_fail(c, -errno, SNAPFORK_SIDE_DST, "symlink failed");
	c->rep->symlinks++;
	return 0;
}

static void count_copy(struct snapfork_report *r, enum snapfork_via via, uint64_t size,
		       uint64_t data)
{
	if (via == SNAPFORK_VIA_REFLINK) {
		r->files_reflinked++;
		r->bytes_reflinked += size;
	} else {
		if (via == SNAPFORK_VIA_RANGE)
			r->files_range++;
		else
			r->files_rw++;
		r->bytes_copied += data;
	}
}

static int copy_regular(struct ctx *c, int sdir, int ddir, const char *name, const struct stat *st)
{
	struct sf_copy res;
	struct stat now;
	int r = sf_copy_file(c, sdir, ddir, name, st->st_ino, c->path.buf, &res, &now);
	if (r == 0) {
		c->rep->files++;
		count_copy(c->rep, res.via, (uint64_t)now.st_size, res.copied);
	}
	return r;
}

static int copy_dir(struct ctx *c, int sdir, int ddir, const char *name, const struct stat *st,
		    unsigned depth)
{
	int r;
	if (depth + 1 >= c->opt.max_depth)
		return sf_fail(c, -ELOOP, SNAPFORK_SIDE_SRC,
			       "directory nesting exceeds the depth limit");
	int s = openat(sdir, name, DIR_FLAGS);
	if (s < 0)
		return sf_fail(c, -errno, SNAPFORK_SIDE_SRC, "open directory failed");
	struct stat now;
	if (fstat(s, &now) < 0) {
		r = sf_fail(c, -errno, SNAPFORK_SIDE_SRC, "fstat failed");
		close(s);
		return r;
	}
	if (now.st_ino != st->st_ino || now.st_dev != st->st_dev) {
		close(s);
		return sf_fail(c, -ESTALE, SNAPFORK_SIDE_SRC, "directory replaced during the walk");
	}
	/* 0700 while we fill it: the final mode may forbid writing. */
	if ((r = sf_stage_mkdir(ddir, name)) < 0) {
		r = sf_fail(c, r, SNAPFORK_SIDE_DST, "mkdir failed");
		close(s);
		return r;
	}
	int d = openat(ddir, name, DIR_FLAGS);
	if (d < 0) {
		r = sf_fail(c, -errno, SNAPFORK_SIDE_DST, "open directory failed");
		close(s);
		return r;
	}
	r = sf_walk(c, s, d, depth + 1);
	if (r == 0 && fchmod(d, now.st_mode & 07777) < 0)
		r = sf_fail(c, -errno, SNAPFORK_SIDE_DST, "chmod failed");
	if (r == 0 && (c->opt.flags & SNAPFORK_FSYNC) && fsync(d) < 0)
		r = sf_fail(c, -errno, SNAPFORK_SIDE_DST, "fsync failed");
	close(d);
	close(s);
	if (r == 0)
		c->rep->dirs++;
	return r;
}

static int walk_entry(struct ctx *c, int sdir, int ddir, const char *name, unsigned depth)
{
	struct stat st;
	const char *reason;
	if (fstatat(sdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return sf_fail(c, -errno, SNAPFORK_SIDE_SRC,
			       errno == ENOENT ? "vanished during the walk" : "stat failed");
	enum sf_class cls = sf_classify(depth, name, st.st_mode, &reason);
	if (cls == SF_REFUSE)
		return sf_fail(c, -EINVAL, SNAPFORK_SIDE_SRC, reason);
	if (cls == SF_SKIP || sf_skip_listed(c->skip, c->path.buf)) {
		c->rep->skipped++;
		return 0;
	}
	/* The mem-file is linked (or copied) into place after the walk. */
	if (c->mem.kind == SNAPFORK_KIND_RAW && st.st_ino == c->mem.ino &&
	    st.st_dev == c->mem.dev && strcmp(c->path.buf, c->mem.rel) == 0)
		return 0;
	switch (st.st_mode & S_IFMT) {
	case S_IFDIR:
		return copy_dir(c, sdir, ddir, name, &st, depth);
	case S_IFREG:
		return copy_regular(c, sdir, ddir, name, &st);
	default:
		return copy_symlink(c, sdir, ddir, name);
	}
}

int sf_walk(struct ctx *c, int sdir, int ddir, unsigned depth)
{
	struct names ns = { 0 };
	int r = read_names(sdir, &ns);
	if (r < 0) {
		names_free(&ns);
		return sf_fail(c, r, SNAPFORK_SIDE_SRC, "reading the directory failed");
	}
	for (size_t i = 0; i < ns.n && r == 0; i++) {
		size_t saved;
		if ((r = relpath_push(&c->path, ns.v[i], &saved)) < 0) {
			sf_fail(c, r, SNAPFORK_SIDE_SRC, "out of memory");
			break;
		}
		r = walk_entry(c, sdir, ddir, ns.v[i], depth);
		relpath_pop(&c->path, saved);
	}
	names_free(&ns);
	return r;
}
