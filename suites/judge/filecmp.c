/* filecmp.c - compare file contents and data maps.
 *
 * Contents are compared only where either file has data (SEEK_DATA /
 * SEEK_HOLE of both): a region that is a hole in both reads as zeros in
 * both, so a 64 GiB mostly-hole mem-file compares in the time its data
 * takes.  Reads go through pread, never a mapping.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "judge.h"

#define CHUNK (1 << 20)

/* Start of the next data at or after off, or size if none. */
static off_t next_data(int fd, off_t off, off_t size)
{
	off_t d = lseek(fd, off, SEEK_DATA);
	return d < 0 || d > size ? size : d;
}

static off_t next_hole(int fd, off_t off, off_t size)
{
	off_t h = lseek(fd, off, SEEK_HOLE);
	return h < 0 || h > size ? size : h;
}

static int compare_range(int a, int b, off_t off, off_t end, char *msg, size_t len)
{
	static __thread char *ba, *bb;
	if (!ba && !(ba = malloc(CHUNK)))
		return -ENOMEM;
	if (!bb && !(bb = malloc(CHUNK)))
		return -ENOMEM;
	while (off < end) {
		size_t want = end - off < CHUNK ? (size_t)(end - off) : CHUNK;
		ssize_t na = pread(a, ba, want, off), nb = pread(b, bb, want, off);
		if (na < 0 || nb < 0)
			return -errno;
		if (na != nb || na == 0) {
			snprintf(msg, len, "short read at offset %lld", (long long)off);
			return 1;
		}
		if (memcmp(ba, bb, (size_t)na) != 0) {
			size_t i = 0;
			while (ba[i] == bb[i])
				i++;
			snprintf(msg, len,
				 "bytes differ at offset %lld: expected 0x%02x, found 0x%02x",
				 (long long)(off + (off_t)i), (unsigned char)ba[i],
				 (unsigned char)bb[i]);
			return 1;
		}
		off += na;
	}
	return 0;
}

int judge_compare_content(int a, int b, off_t size, char *msg, size_t len)
{
	off_t off = 0;
	while (off < size) {
		off_t da = next_data(a, off, size), db = next_data(b, off, size);
		off_t start = da < db ? da : db;
		if (start >= size)
			break;
		/* Compare up to where the file with data at start stops having it,
		 * or the other starts: both stay in one state over [start, end). */
		off_t end = size;
		off_t ea = da <= start ? next_hole(a, start, size) : da;
		off_t eb = db <= start ? next_hole(b, start, size) : db;
		end = ea < eb ? ea : eb;
		if (end <= start)
			end = start + 1;
		int r = compare_range(a, b, start, end, msg, len);
		if (r != 0)
			return r;
		off = end;
	}
	return 0;
}

int judge_extents_within(int copy, int src, off_t size, char *msg, size_t len)
{
	off_t off = 0;
	while (off < size) {
		off_t d = lseek(copy, off, SEEK_DATA);
		if (d < 0 || d >= size)
			break;
		off_t h = next_hole(copy, d, size);
		/* Source must hold data over all of [d, h). */
		off_t sd = next_data(src, d, size);
		off_t sh = sd == d ? next_hole(src, d, size) : d;
		if (sd != d || sh < h) {
			snprintf(
				msg, len,
				"copy has data at [%lld, %lld) where the source has a hole at %lld",
				(long long)d, (long long)h, (long long)(sd != d ? d : sh));
			return 1;
		}
		off = h;
	}
	return 0;
}

/* Data extents of fd, as SEEK_DATA/SEEK_HOLE see them. */
static uint64_t count_extents(int fd, off_t size)
{
	uint64_t n = 0;
	for (off_t off = 0; off < size;) {
		off_t d = lseek(fd, off, SEEK_DATA);
		if (d < 0 || d >= size)
			break;
		n++;
		off = next_hole(fd, d, size);
	}
	return n;
}

int judge_allocation_within(int copy, int src, uint64_t unit, char *msg, size_t len)
{
	struct stat c, s;
	if (fstat(copy, &c) < 0 || fstat(src, &s) < 0)
		return -errno;
	if (unit == 0)
		unit = 4096;
	uint64_t cu = ((uint64_t)c.st_blocks * 512 + unit - 1) / unit;
	uint64_t su = ((uint64_t)s.st_blocks * 512 + unit - 1) / unit;
	/* st_blocks counts the filesystem's own metadata too: an ext4 file of
	 * more than four extents needs extent-tree blocks (one per ~340
	 * extents), which a source still in delayed allocation does not show
	 * yet.  Allow one unit, plus one per 256 extents; XFS speculative
	 * preallocation or a filled hole is far larger. */
	uint64_t slack = 1 + count_extents(copy, c.st_size) / 256;
	if (cu > su + slack) {
		snprintf(msg, len,
			 "allocation: %llu bytes, the source %llu (allowed: %llu units of %llu "
			 "bytes for metadata)",
			 (unsigned long long)c.st_blocks * 512,
			 (unsigned long long)s.st_blocks * 512, (unsigned long long)slack,
			 (unsigned long long)unit);
		return 1;
	}
	return 0;
}
