/* tarcraft.h - write tar archives byte by byte, hostile ones included.
 * libarchive's writer refuses to make most of what an attacker would
 * send; tests of extraction need exactly that. */
#ifndef SNAPFORK_TARCRAFT_H
#define SNAPFORK_TARCRAFT_H

#include <stddef.h>
#include <stdio.h>

struct tt_tar {
	FILE *f;
};

int tt_tar_open(struct tt_tar *t, const char *path);
/* One entry.  type: '0' file, '1' hardlink, '2' symlink, '5' directory.
 * pax: extra "key=value" records separated by '\n' (or NULL); a name
 * over 100 bytes gets a pax path record on its own. */
void tt_tar_entry(struct tt_tar *t, const char *name, char type, unsigned mode, const char *link,
	      const void *data, size_t len, const char *pax);
/* Two zero blocks; then the archive is complete. */
int tt_tar_close(struct tt_tar *t);

#endif
