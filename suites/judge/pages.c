/* pages.c - which pages of a mem-file the mapping rules look at. */
#include <unistd.h>

#include "pages.h"

/* Up to MAX_PAGES pages at the start of data extents, and as many inside
 * holes: a private write must stay private over both. */
void judge_pick_pages(int fd, off_t size, struct pages *p, int holes_too)
{
	p->ps = sysconf(_SC_PAGESIZE);
	p->n = 0;
	size_t data = 0, hole = 0;
	for (off_t off = 0; off < size && (data < MAX_PAGES || hole < MAX_PAGES);) {
		off_t d = lseek(fd, off, SEEK_DATA);
		if (d < 0 || d >= size)
			d = size;
		d -= d % p->ps;
		if (holes_too && d - off >= p->ps && hole < MAX_PAGES) {
			p->off[p->n++] = off + (d - off) / 2 / p->ps * p->ps;
			hole++;
		}
		if (d >= size)
			break;
		if (data < MAX_PAGES) {
			p->off[p->n++] = d;
			data++;
		}
		off_t h = lseek(fd, d, SEEK_HOLE);
		off = h > d ? h + (p->ps - h % p->ps) % p->ps : d + p->ps;
	}
}
