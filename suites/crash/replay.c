/* replay.c - read a dm-log-writes log and replay it onto a device or an
 * image (crash.h), for power cuts: the log holds every write to the
 * filesystem's disk in completion order, a write logged only after the
 * flush it waited for, so the disk as replayed up to a FLUSH or FUA entry
 * is a state the disk could really have been in when the power went.
 *
 * The format (Documentation/admin-guide/device-mapper/log-writes.rst,
 * drivers/md/dm-log-writes.c): sector 0 holds the super block {le64 magic
 * 0x6a736677736872, le64 version 1, le64 nr_entries, le32 sectorsize};
 * each entry is one sector {le64 sector, le64 nr_sectors, le64 flags,
 * le64 data_len} (a mark's name inline after it), followed by nr_sectors
 * sectors of data for a write.  Sectors are of sectorsize bytes, the log's
 * offsets too.  Flags: FLUSH 1, FUA 2, DISCARD 4, MARK 8, METADATA 16. */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crash.h"

#define LW_MAGIC 0x6a736677736872ull

static uint64_t le64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof v);
	return le64toh(v);
}

int crash_log_open(const char *path, struct crash_log *l, char *err, size_t len)
{
	memset(l, 0, sizeof *l);
	unsigned char super[32];
	l->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (l->fd < 0)
		return snprintf(err, len, "%s: %s", path, strerror(errno)), -errno;
	if (pread(l->fd, super, sizeof super, 0) != (ssize_t)sizeof super) {
		snprintf(err, len, "%s: too short for a dm-log-writes super block", path);
		crash_log_close(l);
		return -EINVAL;
	}
	uint32_t ss;
	memcpy(&ss, super + 24, sizeof ss);
	l->sectorsize = le32toh(ss);
	l->entries = le64(super + 16);
	if (le64(super) != LW_MAGIC || le64(super + 8) != 1 || l->sectorsize < 512 ||
	    l->sectorsize > 65536 || (l->sectorsize & (l->sectorsize - 1))) {
		snprintf(err, len, "%s: not a dm-log-writes log (magic, version 1, sector size)",
			 path);
		crash_log_close(l);
		return -EINVAL;
	}
	l->pos = l->sectorsize; /* the first entry follows the super block */
	return 0;
}

void crash_log_close(struct crash_log *l)
{
	if (l->fd > 0)
		close(l->fd);
	l->fd = -1;
}

int crash_log_next(struct crash_log *l, struct crash_log_entry *e)
{
	if (l->next >= l->entries)
		return 0;
	unsigned char h[512];
	if (pread(l->fd, h, sizeof h, (off_t)l->pos) != (ssize_t)sizeof h)
		return -EIO; /* the super block promised more entries */
	memset(e, 0, sizeof *e);
	e->index = l->next++;
	e->sector = le64(h);
	e->nr_sectors = le64(h + 8);
	e->flags = le64(h + 16);
	e->data_len = le64(h + 24);
	if (e->flags & CRASH_LOG_MARK) {
		size_t n = e->data_len < sizeof e->mark - 1 ? e->data_len : sizeof e->mark - 1;
		memcpy(e->mark, h + 32, n > sizeof h - 32 ? sizeof h - 32 : n);
	}
	e->data_at = l->pos + l->sectorsize;
	l->pos = e->data_at;
	if (!(e->flags & (CRASH_LOG_DISCARD | CRASH_LOG_MARK)))
		l->pos += e->nr_sectors * l->sectorsize;
	return 1;
}

int crash_log_apply(const struct crash_log *l, const struct crash_log_entry *e, int dev)
{
	if (e->flags & CRASH_LOG_MARK || e->nr_sectors == 0)
		return 0;
	uint64_t at = e->sector * l->sectorsize, n = e->nr_sectors * l->sectorsize;
	if (e->flags & CRASH_LOG_DISCARD) { /* reads back as zeros, or as it was: zeros */
		if (fallocate(dev, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)at, (off_t)n) == 0)
			return 0;
	}
	static unsigned char buf[1 << 20];
	for (uint64_t done = 0; done < n;) {
		size_t chunk = n - done < sizeof buf ? (size_t)(n - done) : sizeof buf;
		if (e->flags & CRASH_LOG_DISCARD)
			memset(buf, 0, chunk);
		else if (pread(l->fd, buf, chunk, (off_t)(e->data_at + done)) != (ssize_t)chunk)
			return -EIO;
		if (pwrite(dev, buf, chunk, (off_t)(at + done)) != (ssize_t)chunk)
			return errno ? -errno : -EIO;
		done += chunk;
	}
	return 0;
}
