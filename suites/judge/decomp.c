/* decomp.c - F9: a raw mem-file equals the decompressed stream.
 * libarchive decodes (any filter it knows; the name only labels errors),
 * and each decoded block is compared with pread of the raw file. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "judge.h"

static int stream_cmp(struct archive *a, int raw, const char *name, char *msg, size_t len)
{
	struct archive_entry *ent;
	if (archive_read_next_header(a, &ent) != ARCHIVE_OK || archive_filter_count(a) < 2) {
		snprintf(msg, len, "%s does not decompress: %s", name,
			 archive_error_string(a) ? archive_error_string(a)
						 : "not a compressed stream");
		return 2;
	}
	char *buf = malloc(1 << 16);
	if (!buf)
		return -ENOMEM;
	off_t total = 0;
	int r = 0;
	for (;;) {
		const void *blk;
		size_t n;
		la_int64_t off;
		int ar = archive_read_data_block(a, &blk, &n, &off);
		if (ar == ARCHIVE_EOF)
			break;
		if (ar != ARCHIVE_OK) {
			snprintf(msg, len, "%s does not decompress: %s", name,
				 archive_error_string(a));
			r = 2;
			break;
		}
		for (size_t done = 0; done < n && r == 0;) {
			size_t want = n - done < (1 << 16) ? n - done : (1 << 16);
			ssize_t got = pread(raw, buf, want, (off_t)off + (off_t)done);
			if (got <= 0) {
				snprintf(msg, len, "raw mem-file ends at %lld, stream goes on",
					 (long long)((off_t)off + (off_t)done));
				r = 1;
			} else if (memcmp(buf, (const char *)blk + done, (size_t)got) != 0) {
				snprintf(msg, len,
					 "raw mem-file differs from the stream near offset %lld",
					 (long long)((off_t)off + (off_t)done));
				r = 1;
			}
			done += got > 0 ? (size_t)got : 0;
		}
		if (r)
			break;
		total = (off_t)off + (off_t)n > total ? (off_t)off + (off_t)n : total;
	}
	free(buf);
	struct stat st;
	if (r == 0 && fstat(raw, &st) == 0 && st.st_size != total) {
		snprintf(msg, len, "raw mem-file is %lld bytes, the stream %lld",
			 (long long)st.st_size, (long long)total);
		r = 1;
	}
	if (r == 0 && total == 0) {
		snprintf(msg, len, "raw mem-file is empty");
		r = 1;
	}
	return r;
}

/* 0 equal, 1 differs, 2 the stream itself is bad, -errno on error. */
int judge_compare_decompressed(int compressed, const char *name, int raw, char *msg, size_t len)
{
	if (lseek(compressed, 0, SEEK_SET) < 0)
		return -errno;
	struct archive *a = archive_read_new();
	if (!a)
		return -ENOMEM;
	archive_read_support_filter_all(a);
	archive_read_support_format_raw(a);
	int r;
	if (archive_read_open_fd(a, compressed, 1 << 16) != ARCHIVE_OK) {
		snprintf(msg, len, "%s: %s", name, archive_error_string(a));
		r = 2;
	} else {
		r = stream_cmp(a, raw, name, msg, len);
	}
	archive_read_free(a);
	return r;
}
