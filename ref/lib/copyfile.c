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
	/* The data on the disk before the publishing rename can be: with
	 * delayed allocation (ext4, xfs) a journal commit can make the rename
	 * and the new inodes durable while their data still sits in the page
	 * cache, and a power cut then leaves DST with files of zeros or of no
	 * length (seen by snapfork powercut on ext4).  sync_file_range waits
	 * for this file's writeback only: no cache flush, no journal commit
	 * (those come with the commit that carries the rename, which orders
	 * after the allocation this writeback journaled), nothing of other
	 * files on the filesystem, unlike syncfs.  tmpfs ignores it. */
	if (r == 0 && !(c->opt.flags & (SNAPFORK_FSYNC | SNAPFORK_NO_WRITEBACK)) &&
		 sync_file_range(dfd, 0, 0,
				 SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
					 SYNC_FILE_RANGE_WAIT_AFTER) < 0)
		r = sf_fail_rel(c, -errno, SNAPFORK_SIDE_DST, rel, "writeback failed");
	if (close(dfd) < 0 && r == 0)
		r = sf_fail_rel(c, -errno, SNAPFORK_SIDE_DST, rel, "close failed");
	close(sfd);
	return r;
}
