/* layout.c - see layout.h.  One byte picks an operation, the next bytes
 * its arguments; names come from a table of the names the contract cares
 * about (mem-file candidates, logs, *.tmp, odd bytes) or from the input. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "layout.h"

#define MAX_PATHS 64
#define MAX_DATA (1 << 20) /* bytes of file data per input */

struct rd {
	const uint8_t *p;
	size_t n;
};

static unsigned u8(struct rd *r)
{
	if (r->n == 0)
		return 0;
	r->n--;
	return *r->p++;
}

static uint32_t u32(struct rd *r)
{
	return (uint32_t)u8(r) | (uint32_t)u8(r) << 8 | (uint32_t)u8(r) << 16 | (uint32_t)u8(r) << 24;
}

static const char *const names[] = {
	"memory",      "memory-ranges",   "snapshots", "snapshot-latest", "logs",
	"a",           "b",               "state.json", "x.lz4.tmp",      "y.zst.tmp",
	"memory.zst",  "memory.lz4",      "memory-ranges.zst", "config.json", "new\nline",
	"\xff\xfe-bad", ".hidden",        "sp ace",     "vsock.sock",     "memory.tmp",
};
#define NNAMES (sizeof names / sizeof names[0])

struct tree {
	int root;
	char *dirs[MAX_PATHS]; /* relative; "" is the root */
	size_t ndirs;
	char *files[MAX_PATHS];
	size_t nfiles;
	size_t data;
};

static void name(struct rd *r, char *out, size_t len)
{
	unsigned b = u8(r);
	if (b < 200) {
		snprintf(out, len, "%s", names[b % NNAMES]);
		return;
	}
	if (b >= 250) { /* the longest name a directory entry holds */
		memset(out, 'L', 255);
		out[255] = '\0';
		return;
	}
	size_t n = 1 + u8(r) % 24, i;
	for (i = 0; i < n && i + 1 < len; i++) {
		unsigned c = u8(r);
		out[i] = (char)(c == '/' || c == 0 ? 'x' : c);
	}
	out[i] = '\0';
	if (!strcmp(out, ".") || !strcmp(out, ".."))
		out[0] = 'd';
}

static char *join(const char *dir, const char *n)
{
	char *p;
	if (asprintf(&p, "%s%s%s", dir, *dir ? "/" : "", n) < 0)
		return NULL;
	return p;
}

static void add(char **v, size_t *n, char *p)
{
	if (p && *n < MAX_PATHS)
		v[(*n)++] = p;
	else
		free(p);
}

static const char *pick(char **v, size_t n, struct rd *r)
{
	return n ? v[u8(r) % n] : NULL;
}

static void fill(char *buf, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
		buf[i] = (char)(seed | 1);
	}
}

static off_t pick_size(struct rd *r)
{
	static const off_t sizes[] = { 0, 1, 4096, 65536, 1 << 20, 1 << 30 };
	unsigned b = u8(r);
	return b < 200 ? sizes[b % 6] : (off_t)(u32(r) % (64u << 20));
}

static void make_file(struct tree *t, struct rd *r, const char *path)
{
	int fd = openat(t->root, path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	off_t size = pick_size(r);
	if (ftruncate(fd, size) == 0) {
		unsigned extents = u8(r) % 4;
		for (unsigned i = 0; i < extents && size > 0; i++) {
			off_t off = (off_t)(u32(r) % (uint64_t)size) & ~(off_t)4095;
			size_t len = 1 + u32(r) % 65536;
			if (off + (off_t)len > size)
				len = (size_t)(size - off);
			if (t->data + len > MAX_DATA || len == 0)
				break;
			char *buf = malloc(len);
			fill(buf, len, (uint32_t)off | 1);
			if (pwrite(fd, buf, len, off) > 0)
				t->data += len;
			free(buf);
		}
	}
	close(fd);
	add(t->files, &t->nfiles, strdup(path));
}

static void make_socket(struct tree *t, const char *parent, const char *n)
{
	int dir = *parent ? openat(t->root, parent, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) : dup(t->root);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (dir >= 0 && fd >= 0 &&
	    snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/%s", dir, n) <
		    (int)sizeof sa.sun_path)
		bind(fd, (struct sockaddr *)&sa, sizeof sa);
	if (fd >= 0)
		close(fd);
	if (dir >= 0)
		close(dir);
}

/* A mem-file candidate as a regular file, a symlink, a directory or a FIFO. */
static void make_candidate(struct tree *t, struct rd *r)
{
	static const char *const cands[] = { "memory", "memory-ranges",
		"snapshots/snapshot-latest/memory", "snapshots/snapshot-latest/memory-ranges",
		"memory.zst", "memory-ranges.lz4" };
	const char *c = cands[u8(r) % 6];
	if (strchr(c, '/')) {
		mkdirat(t->root, "snapshots", 0755);
		mkdirat(t->root, "snapshots/snapshot-latest", 0755);
		add(t->dirs, &t->ndirs, strdup("snapshots"));
		add(t->dirs, &t->ndirs, strdup("snapshots/snapshot-latest"));
	}
	switch (u8(r) % 4) {
	case 0:
		make_file(t, r, c);
		break;
	case 1:
		symlinkat("state.json", t->root, c);
		break;
	case 2:
		if (mkdirat(t->root, c, 0755) == 0)
			add(t->dirs, &t->ndirs, strdup(c));
		break;
	default:
		mkfifoat(t->root, c, 0600);
	}
}

/* A file picked from the tree, opened for writing (never through a
 * symlink), or -1. */
static int open_some_file(struct tree *t, struct rd *r)
{
	const char *f = pick(t->files, t->nfiles, r);
	return f ? openat(t->root, f, O_WRONLY | O_NOFOLLOW) : -1;
}

static void op_truncate(struct tree *t, struct rd *r)
{
	int fd = open_some_file(t, r);
	if (fd >= 0) {
		if (ftruncate(fd, pick_size(r)) < 0) {
		}
		close(fd);
	}
}

static void op_punch_hole(struct tree *t, struct rd *r)
{
	int fd = open_some_file(t, r);
	if (fd >= 0) {
		fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			  (off_t)(u32(r) % (1u << 22)) & ~4095, (off_t)(1 + u32(r) % (1u << 20)));
		close(fd);
	}
}

/* A symlink: relative, absolute, dangling, looping, escaping. */
static void op_symlink(struct tree *t, struct rd *r, const char *path, const char *n)
{
	static const char *const targets[] = { "state.json", "/etc/hostname", "dangling/x",
					       "../../../../outside", ".", "..", "memory",
					       "snapshots/snapshot-latest" };
	unsigned k = u8(r) % 9;
	symlinkat(k < 8 ? targets[k] : n, t->root, path); /* 8: points at itself */
}

/* A hardlink inside the tree; 1 if path now belongs to the tree. */
static int op_hardlink(struct tree *t, struct rd *r, char *path)
{
	const char *f = pick(t->files, t->nfiles, r);
	if (f && linkat(t->root, f, t->root, path, 0) == 0) {
		add(t->files, &t->nfiles, path);
		return 1;
	}
	return 0;
}

/* chmod, keeping the owner able to read (and enter). */
static void op_chmod(struct tree *t, struct rd *r)
{
	const char *e = u8(r) % 2 ? pick(t->files, t->nfiles, r) : pick(t->dirs, t->ndirs, r);
	struct stat st;
	if (e && *e && fstatat(t->root, e, &st, AT_SYMLINK_NOFOLLOW) == 0)
		fchmodat(t->root, e,
			 (mode_t)((u8(r) | u8(r) << 8) & 07777) | (S_ISDIR(st.st_mode) ? 0700 : 0600),
			 0);
}

static void op_deep(struct tree *t, struct rd *r, const char *path)
{
	unsigned depth = 1 + u8(r) % 40;
	char *p = strdup(path);
	for (unsigned i = 0; p && i < depth && mkdirat(t->root, p, 0755) == 0; i++) {
		char *next = join(p, "d");
		free(p);
		p = next;
	}
	char *slash = p ? strrchr(p, '/') : NULL;
	if (slash)
		*slash = '\0';
	add(t->dirs, &t->ndirs, p);
}

/* The contract's skip names at this depth, as a directory or a file. */
static void op_skip_name(struct tree *t, struct rd *r, const char *parent)
{
	static const char *const skippy[] = { "logs", "m.lz4.tmp", "m.zst.tmp" };
	char *p = join(parent, skippy[u8(r) % 3]);
	if (p && u8(r) % 2) {
		if (mkdirat(t->root, p, 0755) == 0) {
			add(t->dirs, &t->ndirs, p);
			p = NULL;
		}
	} else if (p) {
		make_file(t, r, p);
	}
	free(p);
}

static void op(struct tree *t, struct rd *r)
{
	char n[256], *path;
	const char *parent = pick(t->dirs, t->ndirs, r);
	unsigned code = u8(r) % 12;
	name(r, n, sizeof n);
	path = join(parent, n);
	if (!path)
		return;
	switch (code) {
	case 0:
		if (mkdirat(t->root, path, 0755) == 0) {
			add(t->dirs, &t->ndirs, path);
			path = NULL;
		}
		break;
	case 1:
		make_file(t, r, path);
		break;
	case 2:
		op_truncate(t, r);
		break;
	case 3:
		op_punch_hole(t, r);
		break;
	case 4:
		op_symlink(t, r, path, n);
		break;
	case 5:
		if (op_hardlink(t, r, path))
			path = NULL;
		break;
	case 6:
		make_socket(t, parent ? parent : "", n);
		break;
	case 7:
		if (u8(r) % 4 == 0) /* FIFOs make the fork refuse: keep them rarer */
			mkfifoat(t->root, path, 0600);
		break;
	case 8:
		op_chmod(t, r);
		break;
	case 9:
		op_deep(t, r, path);
		break;
	case 10:
		make_candidate(t, r);
		break;
	default:
		op_skip_name(t, r, parent);
	}
	free(path);
}

int fz_layout_build(const uint8_t *data, size_t size, const char *root)
{
	struct tree t = { .root = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC) };
	if (t.root < 0)
		return -errno;
	t.dirs[t.ndirs++] = strdup("");
	struct rd r = { data, size };
	int ops = 0;
	while (r.n > 0 && ops < FZ_MAX_OPS) {
		op(&t, &r);
		ops++;
	}
	for (size_t i = 0; i < t.ndirs; i++)
		free(t.dirs[i]);
	for (size_t i = 0; i < t.nfiles; i++)
		free(t.files[i]);
	close(t.root);
	return ops;
}
