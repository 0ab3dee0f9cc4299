/* decompress.c - turn a compressed-only mem-file into a sparse raw file.
 *
 * libarchive's raw format reader with only the filter the suffix names
 * (zstd or lz4 frame) decodes the stream; we check the filter really
 * engaged, since the raw reader would otherwise pass undecoded bytes
 * through.  All-zero 4 KiB blocks are not written, so guest memory that
 * was never touched stays a hole, and the file is sized with ftruncate at
 * the end (the stream does not announce its length).
 */
#include <archive.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* Decode a into fd.  Positive errno: bad stream; negative: write failure. */
static int decode(struct archive *a, int fd, int want_filter, uint64_t *size, const char **reason)
{
	struct archive_entry *entry;
	if (archive_read_next_header(a, &entry) != ARCHIVE_OK ||
	    archive_filter_code(a, 0) != want_filter) {
		*reason = want_filter == ARCHIVE_FILTER_ZSTD ? "not a zstd stream"
							     : "not an lz4 frame stream";
		return EBADMSG;
	}
	uint64_t end = 0;
	for (;;) {
		const void *buf;
		size_t len;
		la_int64_t off;
		int r = archive_read_data_block(a, &buf, &len, &off);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK || off < 0) {
			*reason = "compressed stream is corrupt or truncated";
			return EBADMSG;
		}
		int w = sf_write_sparse(fd, buf, len, (off_t)off);
		if (w < 0) {
			*reason = "writing the decompressed mem-file failed";
			return w;
		}
		if ((uint64_t)off + len > end)
			end = (uint64_t)off + len;
	}
	/* libarchive 3.6's raw reader gives no entry for an empty stream
	 * (its bid needs a byte): the header fails first.  Kept for a
	 * reader that would give an empty entry: no 0-byte mem-file. */
	if (end == 0) {
		*reason = "compressed stream holds no memory";
		return EBADMSG; /* an empty entry */
	}
	if (ftruncate(fd, (off_t)end) < 0) {
		*reason = "sizing the decompressed mem-file failed";
		return -errno;
	}
	*size = end;
	return 0;
}

static int decode_fd(int sfd, int want_filter, int fd, uint64_t *size, const char **reason)
{
	struct archive *a = archive_read_new();
	if (!a)
		return -ENOMEM;
	if (want_filter == ARCHIVE_FILTER_ZSTD)
		archive_read_support_filter_zstd(a);
	else
		archive_read_support_filter_lz4(a);
	archive_read_support_format_raw(a);
	int r;
	if (archive_read_open_fd(a, sfd, 1 << 16) != ARCHIVE_OK) {
		*reason = "cannot start decompression";
		r = EBADMSG;
	} else {
		r = decode(a, fd, want_filter, size, reason);
	}
	archive_read_free(a);
	return r;
}

/* The data on the disk before the rename: fsync, or as a fork's copies
 * are (writeback.c says why). */
static int make_durable(int fd, enum sf_durable durable)
{
	if (durable == SF_DURABLE_FSYNC)
		return fsync(fd) < 0 ? -errno : 0;
	return durable == SF_DURABLE_WRITEBACK ? sf_data_on_disk(fd) : 0;
}

int sf_decompress_fd(int sfd, const char *src_name, int dir, const char *raw_name,
		     enum sf_durable durable, uint64_t *size, const char **reason)
{
	int filter = sf_ends_with(src_name, ".zst") ? ARCHIVE_FILTER_ZSTD : ARCHIVE_FILTER_LZ4;
	/* raw_name is the compressed name less ".zst" or ".lz4": it and
	 * ".tmp" fit in NAME_MAX. */
	char tmp[NAME_MAX + 1];
	snprintf(tmp, sizeof tmp, "%s.tmp", raw_name);
	int fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	/* <raw>.tmp may be an entry of the snapshot: then a name of our own. */
	if (fd < 0 && errno == EEXIST) {
		sf_tmpname(raw_name, tmp);
		fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	}
	if (fd < 0) {
		*reason = "creating the decompressed mem-file failed";
		return -errno;
	}
	int r = decode_fd(sfd, filter, fd, size, reason);
	struct stat st;
	if (r == 0 && fstat(sfd, &st) == 0 && fchmod(fd, st.st_mode & 07777) < 0)
		r = -errno;
	if (r == 0 && (r = make_durable(fd, durable)) < 0)
		*reason = "writing the decompressed mem-file back failed";
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && renameat2(dir, tmp, dir, raw_name, RENAME_NOREPLACE) < 0) {
		*reason = "renaming the decompressed mem-file into place failed";
		r = -errno;
	}
	if (r != 0)
		unlinkat(dir, tmp, 0);
	return r;
}
