/* writeback.c - each copied file's data on the disk before the rename
 * that publishes DST (CONTRACT.md C3).  With delayed allocation (ext4,
 * xfs) a journal commit can make the rename and the new inodes durable
 * while the data still sits in the page cache: a power cut then brings
 * DST back with files of zeros (snapfork powercut saw it on ext4).
 *
 * sync_file_range writes back one file's dirty pages, with no cache
 * flush and no journal commit (those come with the commit that carries
 * the rename, ordered after the allocations this writeback journaled),
 * and nothing of other files on the filesystem, unlike syncfs.  A file's
 * writeback is started when its copy ends (SYNC_FILE_RANGE_WRITE) and
 * waited for only when SF_WB_WINDOW later copies have started theirs, or
 * at the end: many small files then cost about one I/O's latency, not
 * one each.  The window holds the files' descriptors (at most
 * SF_WB_WINDOW beside the walk's two per level).  tmpfs ignores it all. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

int sf_writeback_wanted(const struct ctx *c)
{
	return !(c->opt.flags & (SNAPFORK_FSYNC | SNAPFORK_NO_WRITEBACK));
}

/* Wait for the oldest file's writeback and close it: 0 or -errno. */
static int finish_oldest(struct ctx *c, int wait)
{
	struct sf_writeback *w = &c->wb;
	unsigned i = w->head;
	int r = 0;
	if (wait && sync_file_range(w->fd[i], 0, 0,
				    SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
					    SYNC_FILE_RANGE_WAIT_AFTER) < 0)
		r = sf_fail_rel(c, -errno, SNAPFORK_SIDE_DST, w->rel[i], "writeback failed");
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
	if (sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE) < 0)
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
