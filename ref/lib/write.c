/* write.c - full and hole-keeping writes. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define BLOCK 4096

int sf_pwrite_full(int fd, const char *buf, size_t len, off_t off)
{
	while (len > 0) {
		ssize_t w = pwrite(fd, buf, len, off);
		if (w < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		if (w == 0) /* a regular file never takes 0 bytes without an error */
			return -EIO;
		buf += w;
		len -= (size_t)w;
		off += w;
	}
	return 0;
}

static int all_zero(const char *p, size_t n)
{
	/* p[0] == 0 and p equal to itself shifted by one byte: all zero. */
	return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

int sf_write_sparse(int fd, const char *buf, size_t len, off_t off)
{
	size_t i = 0;
	while (i < len) {
		/* Blocks follow the file's 4 KiB grid, so a hole is a whole block. */
		size_t first = BLOCK - (size_t)((off + (off_t)i) % BLOCK);
		size_t n = first < len - i ? first : len - i;
		if (all_zero(buf + i, n)) {
			i += n;
			continue;
		}
		size_t start = i;
		i += n;
		while (i < len) { /* the run of data blocks goes on */
			size_t m = len - i < BLOCK ? len - i : BLOCK;
			if (all_zero(buf + i, m))
				break;
			i += m;
		}
		int r = sf_pwrite_full(fd, buf + start, i - start, off + (off_t)start);
		if (r < 0)
			return r;
	}
	return 0;
}
