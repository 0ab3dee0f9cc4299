/* copyfile.c - copy one regular file of the snapshot into the fork: the
 * step the walk takes for every file and the mem-file takes when its link
 * is refused or turned off. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "internal.h"

int sf_copy_file(struct ctx *c, int sdir, int ddir, const char *name, ino_t ino, const char *rel,
		 struct sf_copy *res, struct stat *st)
{
	int r;
	/* O_NONBLOCK: if the file was swapped for a FIFO, open must not hang. */
	int sfd = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (sfd < 0)
		return sf_fail_rel(c, -errno, SNAPFORK_SIDE_SRC, rel, "open failed");
	if (fstat(sfd, st) < 0) {
		r = sf_fail_rel(c, -errno, SNAPFORK_SIDE_SRC, rel, "fstat failed");
		close(sfd);
		return r;
	}
	/* Still the file the caller looked at, not one swapped in since. */
	if (!S_ISREG(st->st_mode) || st->st_ino != ino) {
		close(sfd);
		return sf_fail_rel(c, -ESTALE, SNAPFORK_SIDE_SRC, rel,
				   "file replaced during the fork");
	}
	int dfd = openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (dfd < 0) {
		r = sf_fail_rel(c, -errno, SNAPFORK_SIDE_DST, rel, "create failed");
		close(sfd);
		return r;
	}
	r = sf_copy_fd(c, sfd, st, dfd, c->opt.method, res);
	if (r < 0)
		sf_fail_rel(c, r, res->side, rel, res->reason);
	/* Modes exactly, whatever the umask: fchmod after creating 0600. */
	if (r == 0 && fchmod(dfd, st->st_mode & 07777) < 0)
		r = sf_fail_rel(c, -errno, SNAPFORK_SIDE_DST, rel, "chmod failed");
	if (r == 0 && (c->opt.flags & SNAPFORK_FSYNC) && fsync(dfd) < 0)
		r = sf_fail_rel(c, -errno, SNAPFORK_SIDE_DST, rel, "fsync failed");
	/* Its data on the disk before DST is published (writeback.c), the
	 * descriptor the window's to close; a reflink wrote no data. */
	if (r == 0 && sf_writeback_wanted(c) && res->via != SNAPFORK_VIA_REFLINK) {
		close(sfd);
		return sf_writeback_add(c, dfd, rel);
	}
	if (close(dfd) < 0 && r == 0)
		r = sf_fail_rel(c, -errno, SNAPFORK_SIDE_DST, rel, "close failed");
	close(sfd);
	return r;
}
