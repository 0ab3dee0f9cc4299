/* copy.c - copy one regular file, cheapest method first.
 *
 * The ladder is reflink (FICLONE) -> copy_file_range -> pread/pwrite, the
 * last two over the data extents SEEK_DATA/SEEK_HOLE report, so holes stay
 * holes.  A method falls back to the next only before it wrote a byte
 * (errno classes in CONTRACT.md); after that, any error fails the file.
 */
#include <errno.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "internal.h"

#define BUFSZ (1u << 20)

/* Positive sentinel: "this method is not supported here, nothing written". */
#define FALLBACK 1

static int try_reflink(int sfd, int dfd, struct sf_copy *res)
{
	/* FICLONE makes dfd share sfd's extents, holes and size included. */
	if (ioctl(dfd, FICLONE, sfd) == 0)
		return 0;
	int e = errno;
	if (sf_errno_fallback(e)) {
		res->fallback_err = e;
		return FALLBACK;
	}
	res->reason = "FICLONE failed";
	return -e;
}

static int range_extent(int sfd, int dfd, off_t off, off_t end, int *wrote, struct sf_copy *res)
{
	off_t in = off, out = off;
	while (in < end) {
		ssize_t n = copy_file_range(sfd, &in, dfd, &out, (size_t)(end - in), 0);
		if (n < 0) {
			int e = errno;
			if (e == EINTR || e == EAGAIN)
				continue;
			if (!*wrote && sf_errno_fallback(e)) {
				res->fallback_err = e;
				return FALLBACK;
			}
			res->reason = "copy_file_range failed";
			return -e;
		}
		if (n == 0) {
			/* 0 on the first call means "not supported here" (coreutils
			 * and systemd read it so, e.g. for procfs and some FUSE);
			 * later it means the source shrank under us. */
			if (!*wrote) {
				res->fallback_err = EOPNOTSUPP;
				return FALLBACK;
			}
			res->reason = "file shrank while being copied";
			return -EBUSY;
		}
		*wrote = 1;
	}
	return 0;
}

/* The last rung: nothing to fall back to, so what it wrote is not kept. */
static int rw_extent(struct ctx *c, int sfd, int dfd, off_t off, off_t end, struct sf_copy *res)
{
	if (!c->buf && !(c->buf = malloc(BUFSZ)))
		return -ENOMEM;
	while (off < end) {
		size_t want = (size_t)(end - off) < BUFSZ ? (size_t)(end - off) : BUFSZ;
		ssize_t n = pread(sfd, c->buf, want, off);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			res->reason = "read failed";
			return -errno;
		}
		if (n == 0) {
			res->reason = "file shrank while being copied";
			return -EBUSY;
		}
		int r = sf_pwrite_full(dfd, c->buf, (size_t)n, off);
		if (r < 0) {
			res->reason = "write failed";
			return r;
		}
		off += n;
	}
	return 0;
}

/* Copy the data extents of [0, size) with range or rw.  The destination is
 * sized first: a writer that grows a file by seek-and-write leaves XFS
 * speculative preallocation behind (xfs_file_write_iter extends EOF blocks),
 * while ftruncate then writing inside EOF allocates only what is written. */
static int copy_extents(struct ctx *c, int sfd, int dfd, const struct stat *st, int use_range,
			struct sf_copy *res)
{
	int wrote = 0;
	off_t size = st->st_size;
	if (ftruncate(dfd, size) < 0) {
		res->reason = "ftruncate failed";
		return -errno;
	}
	/* A small file whose allocation is exactly its size in 4 KiB blocks
	 * (most config and state files) holds no hole: copy [0, size)
	 * without asking SEEK_DATA/SEEK_HOLE.  Fewer blocks mean a hole, more
	 * mean preallocation or metadata: then ask.  An empty file needs
	 * nothing more. */
	if (size == 0)
		return 0;
	if (size <= 65536 && (off_t)st->st_blocks * 512 == ((size + 4095) & ~(off_t)4095)) {
		int r = use_range ? range_extent(sfd, dfd, 0, size, &wrote, res)
				  : rw_extent(c, sfd, dfd, 0, size, res);
		if (r == 0)
			res->copied += (uint64_t)size;
		return r;
	}
	for (off_t off = 0; off < size;) {
		off_t data = lseek(sfd, off, SEEK_DATA);
		if (data < 0) {
			if (errno == ENXIO) /* only a hole is left: ftruncate made it */
				break;
			res->reason = "lseek(SEEK_DATA) failed";
			return -errno;
		}
		if (data >= size)
			break;
		off_t hole = lseek(sfd, data, SEEK_HOLE);
		if (hole < 0) {
			res->reason = "lseek(SEEK_HOLE) failed";
			return -errno;
		}
		if (hole > size)
			hole = size;
		int r = use_range ? range_extent(sfd, dfd, data, hole, &wrote, res)
				  : rw_extent(c, sfd, dfd, data, hole, res);
		if (r != 0)
			return r;
		res->copied += (uint64_t)(hole - data);
		off = hole;
	}
	return 0;
}

/* The source must not have changed while we copied it: a torn copy of a
 * file the VMM was still writing would restore a corrupt guest. */
static int unchanged(int sfd, const struct stat *st, struct sf_copy *res)
{
	struct stat now;
	if (fstat(sfd, &now) < 0) {
		res->reason = "fstat failed";
		return -errno;
	}
	if (now.st_size != st->st_size || now.st_mtim.tv_sec != st->st_mtim.tv_sec ||
	    now.st_mtim.tv_nsec != st->st_mtim.tv_nsec) {
		res->reason = "file changed while being copied";
		return -EBUSY;
	}
	return 0;
}

/* Which side an error is about: space, quota, size limits and writes are
 * the destination's; reads and a changing source are the snapshot's. */
static enum snapfork_side blame(int err, const char *reason)
{
	switch (-err) {
	case ENOSPC:
	case EDQUOT:
	case EFBIG:
	case EROFS:
		return SNAPFORK_SIDE_DST;
	}
	if (reason && (strstr(reason, "write") || strstr(reason, "ftruncate")))
		return SNAPFORK_SIDE_DST;
	return SNAPFORK_SIDE_SRC;
}

static int copy_ladder(struct ctx *c, int sfd, const struct stat *st, int dfd,
		       enum snapfork_method m, struct sf_copy *res)
{
	int r = FALLBACK;
	/* Once FICLONE said "not here" (EOPNOTSUPP, ENOTTY) in this fork, the
	 * same filesystems will say it again: skip the ioctl for AUTO. */
	if (m == SNAPFORK_METHOD_REFLINK || (m == SNAPFORK_METHOD_AUTO && !c->no_reflink)) {
		r = try_reflink(sfd, dfd, res);
		if (r == FALLBACK && (res->fallback_err == EOPNOTSUPP || res->fallback_err == ENOTTY))
			c->no_reflink = 1;
		res->via = SNAPFORK_VIA_REFLINK;
		if (r == FALLBACK && m == SNAPFORK_METHOD_REFLINK) {
			res->reason = "reflink (FICLONE) not supported here";
			return -res->fallback_err;
		}
	}
	if (r == 0)
		res->copied = (uint64_t)st->st_size; /* reflinked: shared, not moved */
	if (r == FALLBACK && m != SNAPFORK_METHOD_RW) {
		r = copy_extents(c, sfd, dfd, st, 1, res);
		res->via = SNAPFORK_VIA_RANGE;
		if (r == FALLBACK && m == SNAPFORK_METHOD_RANGE) {
			res->reason = "copy_file_range not supported here";
			return -res->fallback_err;
		}
	}
	if (r == FALLBACK) {
		r = copy_extents(c, sfd, dfd, st, 0, res);
		res->via = SNAPFORK_VIA_RW;
	}
	if (r < 0)
		return r;
	return unchanged(sfd, st, res);
}

int sf_copy_fd(struct ctx *c, int sfd, const struct stat *st, int dfd, enum snapfork_method m,
	       struct sf_copy *res)
{
	*res = (struct sf_copy){ .via = SNAPFORK_VIA_NONE, .side = SNAPFORK_SIDE_SRC };
	int r = copy_ladder(c, sfd, st, dfd, m, res);
	if (r < 0) /* a failure's side; a success keeps SRC, read by no one */
		res->side = blame(r, res->reason);
	return r;
}
