/* pagecache.c - F12 (SHOULD): forks share the mem-file's page cache, seen
 * with mincore(2) on sampled pages after POSIX_FADV_DONTNEED. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "judge.h"
#include "pages.h"

/* How many of the picked pages of map are resident: mincore on each page
 * alone, so a 1 TiB sparse mapping costs what its pages cost. */
static size_t resident(char *map, const struct pages *p)
{
	size_t n = 0;
	for (size_t i = 0; i < p->n; i++) {
		unsigned char v = 0;
		if (mincore(map + p->off[i], (size_t)p->ps, &v) == 0)
			n += v & 1;
	}
	return n;
}

int judge_page_cache(const char *fork_mem, const char *other_mem, const char *rel,
		     struct judge_result *res)
{
	res->checked |= 1u << 12;
	int a = open(fork_mem, O_RDONLY), b = open(other_mem, O_RDONLY);
	struct stat st;
	int r = 0;
	if (a < 0 || b < 0 || fstat(b, &st) < 0) {
		judge_skip(res, 12, "cannot open both forks' mem-files");
		goto out;
	}
	if (st.st_size == 0) {
		judge_skip(res, 12, "the mem-file is empty: no page to share or observe");
		goto out;
	}
	struct pages p;
	judge_pick_pages(a, st.st_size, &p, 0);
	char *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, b, 0);
	if (map == MAP_FAILED || p.n == 0) {
		judge_skip(res, 12, "no data pages to observe");
		if (map != MAP_FAILED)
			munmap(map, (size_t)st.st_size);
		goto out;
	}
	/* Clean pages first: POSIX_FADV_DONTNEED drops only clean ones. */
	fsync(a);
	fsync(b);
	posix_fadvise(a, 0, 0, POSIX_FADV_DONTNEED);
	posix_fadvise(b, 0, 0, POSIX_FADV_DONTNEED);
	if (resident(map, &p) == p.n) {
		judge_skip(res, 12,
			   "pages stay resident after POSIX_FADV_DONTNEED (on tmpfs the page "
			   "cache is the storage): sharing cannot be observed");
	} else {
		char *buf = malloc((size_t)p.ps);
		for (size_t i = 0; buf && i < p.n; i++)
			if (pread(a, buf, (size_t)p.ps, p.off[i]) < 0)
				r = -errno;
		free(buf);
		size_t after = resident(map, &p);
		if (after < p.n)
			judge_fail(res, 12, rel ? rel : fork_mem,
				   "%zu of %zu pages read through this fork were not in the other "
				   "fork's page cache: separate inodes (a copy or a reflink)",
				   p.n - after, p.n);
	}
	munmap(map, (size_t)st.st_size);
out:
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
	return r;
}
