/* build.c - a layout made real: every entry created fd-relative below the
 * new directory, sparse files with data only in their extents (a 1 TiB
 * file costs a few pages), modes set last, deepest first; sockets bound
 * as fixture extraction binds them (fixture_bind_socket). */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fixture.h"
#include "layout.h"

/* The content of e at [off, off + len): a pattern of its seed. */
static void pattern(const struct layout_entry *e, uint64_t off, unsigned char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint64_t x = (off + i) / 8 * 0x9e3779b97f4a7c15ull ^ e->seed;
		buf[i] = (unsigned char)(x >> (8 * ((off + i) % 8)));
	}
}

static int write_extents(int fd, const struct layout_entry *e)
{
	unsigned char buf[8192];
	for (unsigned k = 0; k < e->next; k++) {
		for (uint64_t done = 0; done < e->ext[k].len;) {
			size_t n = e->ext[k].len - done < sizeof buf ? e->ext[k].len - done
								     : sizeof buf;
			pattern(e, e->ext[k].off + done, buf, n);
			if (pwrite(fd, buf, n, (off_t)(e->ext[k].off + done)) != (ssize_t)n)
				return -errno;
			done += n;
		}
	}
	return 0;
}

/* The content (holes as zeros) as one zstd or lz4 frame, through
 * libarchive's raw format: the file is the bare frame. */
static int write_compressed(int fd, const struct layout_entry *e)
{
	/* libarchive 3.6's lz4 filter dereferences NULL when it closes with
	 * no data written (found by shrinking an lz4 mem-file to 0 bytes):
	 * the empty frame, as lz4(1) writes it (content checksum of nothing). */
	static const unsigned char lz4_empty[] = { 0x04, 0x22, 0x4d, 0x18, 0x64, 0x40, 0xa7, 0x00,
						   0x00, 0x00, 0x00, 0x05, 0x5d, 0xcc, 0x02 };
	if (e->size == 0 && e->codec != LC_ZSTD)
		return write(fd, lz4_empty, sizeof lz4_empty) == (ssize_t)sizeof lz4_empty ? 0 : -EIO;
	unsigned char *raw = calloc(1, e->size ? e->size : 1);
	if (!raw)
		return -ENOMEM;
	for (unsigned k = 0; k < e->next; k++)
		pattern(e, e->ext[k].off, raw + e->ext[k].off, e->ext[k].len);
	struct archive *a = archive_write_new();
	if (e->codec == LC_ZSTD)
		archive_write_add_filter_zstd(a);
	else
		archive_write_add_filter_lz4(a);
	archive_write_set_format_raw(a);
	archive_write_set_bytes_in_last_block(a, 1);
	int r = archive_write_open_fd(a, fd) == ARCHIVE_OK ? 0 : -EIO;
	struct archive_entry *ae = archive_entry_new();
	archive_entry_set_pathname(ae, "data");
	archive_entry_set_filetype(ae, AE_IFREG);
	archive_entry_set_size(ae, (la_int64_t)e->size);
	if (r == 0 && (archive_write_header(a, ae) != ARCHIVE_OK ||
		       archive_write_data(a, raw, e->size) != (la_ssize_t)e->size ||
		       archive_write_close(a) != ARCHIVE_OK))
		r = -EIO;
	archive_entry_free(ae);
	archive_write_free(a);
	free(raw);
	return r;
}

static int make_file(int root, const struct layout_entry *e)
{
	int fd = openat(root, e->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	int r;
	if (e->codec != LC_RAW)
		r = write_compressed(fd, e);
	else
		r = ftruncate(fd, (off_t)e->size) < 0 ? -errno : write_extents(fd, e);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

static int make_entry(int root, const struct layout_entry *e)
{
	switch (e->type) {
	case LT_DIR:
		return mkdirat(root, e->path, 0700) < 0 ? -errno : 0;
	case LT_REG:
		return make_file(root, e);
	case LT_SYMLINK:
		return symlinkat(e->target, root, e->path) < 0 ? -errno : 0;
	case LT_HARDLINK:
		return linkat(root, e->target, root, e->path, 0) < 0 ? -errno : 0;
	case LT_SOCK: {
		char err[512]; /* the caller words its own error from the errno */
		return fixture_bind_socket(root, e->path, err, sizeof err);
	}
	case LT_FIFO:
		return mkfifoat(root, e->path, 0600) < 0 ? -errno : 0;
	case LT_CHR:
		return mknodat(root, e->path, S_IFCHR | 0600, makedev(1, 3)) < 0 ? -errno : 0;
	case LT_BLK:
		return mknodat(root, e->path, S_IFBLK | 0600, makedev(7, 255)) < 0 ? -errno : 0;
	}
	return -EINVAL;
}

static void printable(const char *s, char *out, size_t len)
{
	size_t o = 0;
	for (; *s && o + 5 < len; s++)
		o += (size_t)snprintf(
			out + o, len - o,
			(unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f ? "\\x%02x" : "%c",
			(unsigned char)*s);
	out[o] = '\0';
}

int layout_build(const struct layout *l, const char *dir, char *err, size_t len)
{
	if (mkdir(dir, 0700) < 0) {
		snprintf(err, len, "%s: cannot create: %s", dir, strerror(errno));
		return -errno;
	}
	int root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0) {
		snprintf(err, len, "%s: cannot open: %s", dir, strerror(errno));
		return -errno;
	}
	int r = 0;
	for (size_t i = 0; i < l->n && r == 0; i++) {
		const struct layout_entry *e = &l->e[i];
		if (!e->gone && (r = make_entry(root, e)) < 0) {
			char p[1024];
			printable(e->path, p, sizeof p);
			snprintf(err, len, "%s/%s: cannot make it: %s", dir, p, strerror(-r));
		}
	}
	/* Modes last, deepest first: a directory may forbid writing into it. */
	for (size_t i = l->n; i-- > 0 && r == 0;) {
		const struct layout_entry *e = &l->e[i];
		if (e->gone || e->type == LT_SYMLINK || e->type == LT_HARDLINK ||
		    e->type == LT_SOCK)
			continue;
		if (fchmodat(root, e->path, e->mode, 0) < 0) {
			r = -errno;
			snprintf(err, len, "%s: chmod of an entry failed: %s", dir,
				 strerror(errno));
		}
	}
	if (r == 0 && fchmod(root, l->root_mode) < 0) {
		r = -errno;
		snprintf(err, len, "%s: chmod: %s", dir, strerror(errno));
	}
	close(root);
	return r;
}

int layout_can_mknod(const char *dir)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/.mknod-probe-%ld", dir, (long)getpid());
	unlink(p); /* one a killed run left */
	if (mknod(p, S_IFCHR | 0600, makedev(1, 3)) < 0)
		return 0;
	unlink(p);
	return 1;
}
