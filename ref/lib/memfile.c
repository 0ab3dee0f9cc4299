/* memfile.c - find the raw mem-file and put it into the fork.
 *
 * The raw mem-file is the first regular file (by lstat, no symlink on the
 * way) among the candidates below.  With none, the first <candidate>.zst or
 * <candidate>.lz4 makes the snapshot compressed-only; with neither it is
 * memoryless.  The walk leaves a raw mem-file out; sf_memfile_place then
 * hardlinks it, which shares one inode (and its page cache) between the
 * snapshot and every fork, and copies it when the link is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static const char *const candidates[] = {
	"memory-ranges",
	"memory",
	"snapshots/snapshot-latest/memory-ranges",
	"snapshots/snapshot-latest/memory",
};
static const char *const suffixes[] = { ".zst", ".lz4" };

#define NCAND (sizeof candidates / sizeof candidates[0])

int sf_open_parent(int root, const char *rel, const char **base)
{
	int fd = fcntl(root, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	const char *p = rel;
	for (const char *slash; (slash = strchr(p, '/')); p = slash + 1) {
		char comp[256];
		size_t n = (size_t)(slash - p);
		if (n == 0 || n >= sizeof comp) {
			close(fd);
			return -EINVAL;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		int next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int e = errno;
		close(fd);
		if (next < 0)
			return -e;
		fd = next;
	}
	*base = p;
	return fd;
}

/* 1 and *st filled if rel is a regular file reached without symlinks. */
static int is_regular(int root, const char *rel, struct stat *st)
{
	const char *base;
	int dir = sf_open_parent(root, rel, &base);
	if (dir < 0)
		return 0;
	int ok = fstatat(dir, base, st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st->st_mode);
	close(dir);
	return ok;
}

static int found(struct ctx *c, enum snapfork_kind kind, const char *rel, const char *raw,
		 const struct stat *st)
{
	c->mem.kind = kind;
	c->mem.dev = st->st_dev;
	c->mem.ino = st->st_ino;
	c->mem.size = (uint64_t)st->st_size;
	c->mem.rel = strdup(rel);
	c->mem.raw_rel = strdup(raw);
	if (!c->mem.rel || !c->mem.raw_rel)
		return sf_fail_rel(c, -ENOMEM, SNAPFORK_SIDE_SRC, rel, "out of memory");
	c->rep->kind = kind;
	snprintf(c->rep->mem_path, sizeof c->rep->mem_path, "%s", raw);
	if (kind == SNAPFORK_KIND_COMPRESSED)
		snprintf(c->rep->mem_source, sizeof c->rep->mem_source, "%s", rel);
	else
		c->rep->mem_size = (uint64_t)st->st_size;
	return 0;
}

int sf_memfile_find(struct ctx *c, int sroot)
{
	struct stat st;
	for (size_t i = 0; i < NCAND; i++)
		if (!sf_skip_listed(c->skip, candidates[i]) && is_regular(sroot, candidates[i], &st))
			return found(c, SNAPFORK_KIND_RAW, candidates[i], candidates[i], &st);
	for (size_t i = 0; i < NCAND; i++) {
		for (size_t j = 0; j < 2; j++) {
			char rel[64];
			snprintf(rel, sizeof rel, "%s%s", candidates[i], suffixes[j]);
			if (!sf_skip_listed(c->skip, rel) && is_regular(sroot, rel, &st))
				return found(c, SNAPFORK_KIND_COMPRESSED, rel, candidates[i], &st);
		}
	}
	c->rep->kind = SNAPFORK_KIND_MEMORYLESS;
	return 0;
}

/* Copy the mem-file after a refused (or disabled) link. */
static int copy_mem(struct ctx *c, int sdir, int ddir, const char *base)
{
	struct sf_copy res;
	struct stat st;
	int r = sf_copy_file(c, sdir, ddir, base, c->mem.ino, c->mem.rel, &res, &st);
	if (r == 0) {
		c->rep->mem_via = res.via;
		if (res.via == SNAPFORK_VIA_REFLINK)
			c->rep->bytes_reflinked += (uint64_t)st.st_size;
		else
			c->rep->bytes_copied += res.copied;
	}
	return r;
}

static int link_mem(struct ctx *c, int sdir, int ddir, const char *base)
{
	/* flags 0: linkat never follows a symlink at oldpath. */
	if (linkat(sdir, base, ddir, base, 0) < 0) {
		int e = errno;
		if (!sf_errno_link_fallback(e))
			return sf_fail_rel(c, -e, SNAPFORK_SIDE_SRC, c->mem.rel, "link failed");
		c->rep->mem_fallback_errno = e;
		c->rep->mem_fallback_reason = "link refused";
		return copy_mem(c, sdir, ddir, base);
	}
	struct stat st;
	if (fstatat(ddir, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return sf_fail_rel(c, -errno, SNAPFORK_SIDE_DST, c->mem.rel,
				   "stat of the linked mem-file failed");
	if (st.st_ino != c->mem.ino || st.st_dev != c->mem.dev)
		return sf_fail_rel(c, -ESTALE, SNAPFORK_SIDE_SRC, c->mem.rel,
				   "mem-file replaced during the fork");
	c->rep->mem_via = SNAPFORK_VIA_LINK;
	c->rep->bytes_linked += c->mem.size;
	return 0;
}

static int decompress_mem(struct ctx *c, int sdir, int ddir, const char *sbase)
{
	const char *raw_base = strrchr(c->mem.raw_rel, '/');
	raw_base = raw_base ? raw_base + 1 : c->mem.raw_rel;
	/* The snapshot itself may hold the raw name as a directory or a
	 * symlink (not a mem-file, so copied as such): nowhere to decompress
	 * to; the compressed copy is the fork's memory. */
	struct stat taken;
	if (fstatat(ddir, raw_base, &taken, AT_SYMLINK_NOFOLLOW) == 0) {
		c->rep->mem_via = SNAPFORK_VIA_COMPRESSED_COPY;
		c->rep->mem_fallback_errno = EEXIST;
		c->rep->mem_fallback_reason = "the raw mem-file's name is taken by another entry";
		return 0;
	}
	int sfd = openat(sdir, sbase, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (sfd < 0)
		return sf_fail_rel(c, -errno, SNAPFORK_SIDE_SRC, c->mem.rel,
				   "open compressed mem-file failed");
	uint64_t size = 0; /* the raw size: set when decompress returns 0 */
	const char *reason = NULL;
	enum sf_durable d = c->opt.flags & SNAPFORK_FSYNC	       ? SF_DURABLE_FSYNC
			    : c->opt.flags & SNAPFORK_NO_WRITEBACK ? SF_DURABLE_NONE
								   : SF_DURABLE_WRITEBACK;
	int r = sf_decompress_fd(sfd, sbase, ddir, raw_base, d, &size, &reason);
	close(sfd);
	if (r > 0) {
		/* The stream is bad: the fork keeps the compressed copy the walk
		 * made, which restores as well as the snapshot itself would. */
		c->rep->mem_via = SNAPFORK_VIA_COMPRESSED_COPY;
		c->rep->mem_fallback_errno = r;
		c->rep->mem_fallback_reason = reason;
		return 0;
	}
	if (r < 0)
		return sf_fail_rel(c, r, SNAPFORK_SIDE_DST, c->mem.raw_rel, reason);
	c->rep->mem_via = SNAPFORK_VIA_DECOMPRESS;
	c->rep->mem_size = size;
	c->rep->bytes_copied += size;
	return 0;
}

int sf_memfile_place(struct ctx *c, int sroot, int droot)
{
	if (c->mem.kind == SNAPFORK_KIND_MEMORYLESS)
		return 0;
	const char *sbase, *dbase;
	int sdir = sf_open_parent(sroot, c->mem.rel, &sbase);
	if (sdir < 0)
		return sf_fail_rel(c, sdir, SNAPFORK_SIDE_SRC, c->mem.rel,
				   "open mem-file directory failed");
	int ddir = sf_open_parent(droot, c->mem.rel, &dbase);
	if (ddir < 0) {
		close(sdir);
		return sf_fail_rel(c, ddir, SNAPFORK_SIDE_DST, c->mem.rel,
				   "open mem-file directory in fork failed");
	}
	int r;
	if (c->mem.kind == SNAPFORK_KIND_COMPRESSED)
		r = decompress_mem(c, sdir, ddir, sbase);
	else if (c->opt.flags & SNAPFORK_NO_LINK)
		r = copy_mem(c, sdir, ddir, sbase);
	else
		r = link_mem(c, sdir, ddir, sbase);
	if (r == 0 && (c->opt.flags & SNAPFORK_FSYNC) && fsync(ddir) < 0)
		r = sf_fail_rel(c, -errno, SNAPFORK_SIDE_DST, c->mem.rel, "fsync failed");
	close(ddir);
	close(sdir);
	return r;
}

/* Decompress a compressed-only mem-file inside the snapshot itself, so
 * later forks can link it: <raw>.tmp, then rename without replacing. */
int sf_memfile_materialize(struct ctx *c, int sroot)
{
	if (c->mem.kind != SNAPFORK_KIND_COMPRESSED)
		return 0;
	const char *sbase;
	int sdir = sf_open_parent(sroot, c->mem.rel, &sbase);
	if (sdir < 0)
		return sf_fail_rel(c, sdir, SNAPFORK_SIDE_SRC, c->mem.rel,
				   "open mem-file directory failed");
	int sfd = openat(sdir, sbase, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (sfd < 0) {
		int e = -errno;
		close(sdir);
		return sf_fail_rel(c, e, SNAPFORK_SIDE_SRC, c->mem.rel,
				   "open compressed mem-file failed");
	}
	const char *raw_base = strrchr(c->mem.raw_rel, '/');
	raw_base = raw_base ? raw_base + 1 : c->mem.raw_rel;
	uint64_t size = 0; /* not read: the lookup after gives the raw size */
	const char *reason = NULL;
	/* Into SRC, for every later fork to link: flushed, whatever the
	 * fork's own flags (a torn raw file there would be linked by all). */
	int r = sf_decompress_fd(sfd, sbase, sdir, raw_base, SF_DURABLE_FSYNC, &size, &reason);
	close(sfd);
	close(sdir);
	if (r > 0) /* a bad stream: refuse to materialize, say why */
		r = -r;
	if (r < 0)
		return sf_fail_rel(c, r, SNAPFORK_SIDE_SRC, c->mem.rel, reason);
	/* Now a raw snapshot: forget the compressed file, find the raw one. */
	free(c->mem.rel);
	free(c->mem.raw_rel);
	memset(&c->mem, 0, sizeof c->mem);
	c->rep->mem_source[0] = '\0';
	c->rep->mem_path[0] = '\0'; /* the lookup names the raw file, if it finds one */
	return sf_memfile_find(c, sroot);
}
