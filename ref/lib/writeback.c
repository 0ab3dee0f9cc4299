/* writeback.c - each copied file's data on the disk before the rename
 * that publishes DST (CONTRACT.md C3).  With delayed allocation (ext4,
 * xfs) a journal commit can make the rename and the new inodes durable
 * while the data still sits in the page cache: a power cut then brings
 * DST back with files of zeros (snapfork powercut saw it on ext4).
 *
 * sync_file_range writes back one file's dirty pages, with no cache
 * flush and no journal commit, and nothing of other files on the
 * filesystem, unlike syncfs.  Waiting for it is enough where the
 * metadata that makes the data reachable is journaled before the
 * writeback ends: ext4 maps delayed blocks and updates i_disksize in a
 * handle during writeback and converts unwritten extents before
 * end_page_writeback (ext4_release_io_end); xfs sets the on-disk size in
 * xfs_end_ioend before iomap_finish_ioends.  The rename's commit comes
 * after, in journal order.  btrfs is different: its bios end before the
 * ordered extent is finished (the file extent items and disk_i_size are
 * inserted later, from a workqueue, maybe into a transaction after the
 * rename's), which is why btrfs_sync_file waits for ordered extents:
 * there fdatasync it is.  A reflinked file has no data to write: its
 * shared extents are metadata of a transaction before the rename's.
 *
 * A file's writeback is started when its copy ends (SYNC_FILE_RANGE_WRITE)
 * and waited for only when SF_WB_WINDOW later copies have started theirs,
 * or at the end: many small files then cost about one I/O's latency, not
 * one each.  The window holds the files' descriptors (at most
 * SF_WB_WINDOW beside the walk's two per level).  tmpfs ignores it all. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "internal.h"

static int on_btrfs(int fd)
{
	struct statfs sf;
	return fstatfs(fd, &sf) == 0 && sf.f_type == BTRFS_SUPER_MAGIC;
}

/* fd's data on the disk, and reachable from its inode once the next
 * journal commit is (above): 0 or -errno. */
static int wait_data(int fd, int btrfs)
{
	if (btrfs)
		return fdatasync(fd) < 0 ? -errno : 0;
	return sync_file_range(fd, 0, 0,
			       SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
				       SYNC_FILE_RANGE_WAIT_AFTER) < 0
		       ? -errno
		       : 0;
}

int sf_data_on_disk(int fd)
{
	return wait_data(fd, on_btrfs(fd));
}

int sf_writeback_wanted(const struct ctx *c)
{
	return !(c->opt.flags & (SNAPFORK_FSYNC | SNAPFORK_NO_WRITEBACK));
}

/* Wait for the oldest file's writeback and close it: 0 or -errno. */
static int finish_oldest(struct ctx *c, int wait)
{
	struct sf_writeback *w = &c->wb;
	unsigned i = w->head;
	int r = wait ? wait_data(w->fd[i], w->btrfs == 2) : 0;
	if (r < 0)
		sf_fail_rel(c, r, SNAPFORK_SIDE_DST, w->rel[i], "writeback failed");
	/* close reports a write error some filesystems (NFS) keep for it. */
	if (close(w->fd[i]) < 0 && r == 0 && wait)
		r = sf_fail_rel(c, -errno, SNAPFORK_SIDE_DST, w->rel[i], "close failed");
	free(w->rel[i]);
	w->head = (i + 1) % SF_WB_WINDOW;
	w->n--;
	return r;
}

int sf_writeback_add(struct ctx *c, int fd, const char *rel)
{
	struct sf_writeback *w = &c->wb;
	int r = 0;
	if (!w->btrfs) /* every file of a fork is on DST's filesystem */
		w->btrfs = on_btrfs(fd) ? 2 : 1;
	if (w->btrfs == 1 && sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE) < 0)
		r = sf_fail_rel(c, -errno, SNAPFORK_SIDE_DST, rel, "writeback failed");
	if (r == 0 && w->n == SF_WB_WINDOW)
		r = finish_oldest(c, 1);
	char *copy = r == 0 ? strdup(rel) : NULL;
	if (r == 0 && !copy)
		r = sf_fail_rel(c, -ENOMEM, SNAPFORK_SIDE_DST, rel, "out of memory");
	if (r < 0) {
		close(fd);
		return r;
	}
	unsigned tail = (w->head + w->n) % SF_WB_WINDOW;
	w->fd[tail] = fd;
	w->rel[tail] = copy;
	w->n++;
	return 0;
}

int sf_writeback_end(struct ctx *c, int wait)
{
	int r = 0;
	while (c->wb.n) {
		int e = finish_oldest(c, wait && r == 0);
		if (r == 0)
			r = e;
	}
	return r;
}
