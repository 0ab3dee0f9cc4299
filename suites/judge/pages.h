/* pages.h - inside the judge: the pages of a mem-file that the mapping
 * rules (F7, F8, F12) sample, so a 1 TiB sparse file costs what a few
 * dozen pages cost. */
#ifndef SNAPFORK_JUDGE_PAGES_H
#define SNAPFORK_JUDGE_PAGES_H

#include <stddef.h>
#include <sys/types.h>

#define MAX_PAGES 32

struct pages {
	off_t off[2 * MAX_PAGES];
	size_t n;
	long ps;
};

/* Up to MAX_PAGES pages at the start of data extents of fd's first size
 * bytes, and as many inside holes when holes_too. */
void judge_pick_pages(int fd, off_t size, struct pages *p, int holes_too);

#endif
