/* state.c - F6: the snapshot before and after a fork.  Not compared:
 * atime, ctime and st_nlink, which a correct fork changes (link(2)
 * updates the inode's ctime and link count). */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "judge.h"

/* SHA-256 of (offset, bytes) of every 4 KiB block that is not all zero,
 * then the size.  Holes are never read, and equal contents hash equal
 * whatever the layout: a copy-up (overlayfs) or a filesystem may turn a
 * hole into zeros or back without changing a byte the guest sees. */
static int hash_file(int fd, off_t size, unsigned char out[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	static __thread char *buf;
	if (!md || (!buf && !(buf = malloc(1 << 20)))) {
		EVP_MD_CTX_free(md);
		return -ENOMEM;
	}
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	int r = 0;
	for (off_t off = 0; off < size;) {
		off_t d = lseek(fd, off, SEEK_DATA);
		if (d < 0 || d >= size)
			break;
		off_t h = lseek(fd, d, SEEK_HOLE);
		if (h < 0 || h > size)
			h = size;
		for (off_t at = d; at < h;) {
			size_t want = h - at < (1 << 20) ? (size_t)(h - at) : (1 << 20);
			ssize_t n = pread(fd, buf, want, at);
			if (n <= 0) {
				r = n < 0 ? -errno : -EIO;
				break;
			}
			for (ssize_t b = 0; b < n; b += 4096) {
				size_t k = n - b < 4096 ? (size_t)(n - b) : 4096;
				if (buf[b] == 0 && memcmp(buf + b, buf + b + 1, k - 1) == 0)
					continue; /* an all-zero block reads like a hole */
				off_t where = at + b;
				EVP_DigestUpdate(md, &where, sizeof where);
				EVP_DigestUpdate(md, buf + b, k);
			}
			at += n;
		}
		off = h;
	}
	EVP_DigestUpdate(md, &size, sizeof size);
	EVP_DigestFinal_ex(md, out, NULL);
	EVP_MD_CTX_free(md);
	return r;
}

int judge_state_take(const char *dir, struct judge_state *s, char *err, size_t len)
{
	struct judge_tree t;
	memset(s, 0, sizeof *s);
	int r = judge_tree_load(dir, &t, err, len);
	if (r < 0)
		return r;
	s->e = calloc(t.n + 1, sizeof *s->e);
	if (!s->e) {
		judge_tree_free(&t);
		return -ENOMEM;
	}
	/* The root itself counts too: its mode and mtime. */
	s->e[0] = (struct judge_state_entry){ .rel = strdup("."),
					    .mode = t.root.st_mode,
					    .uid = t.root.st_uid,
					    .gid = t.root.st_gid,
					    .mtim = t.root.st_mtim };
	s->n = 1;
	for (size_t i = 0; i < t.n && r == 0; i++) {
		const struct judge_entry *e = &t.e[i];
		struct judge_state_entry *x = &s->e[s->n++];
		*x = (struct judge_state_entry){ .rel = strdup(e->rel),
					       .mode = e->mode,
					       .uid = e->uid,
					       .gid = e->gid,
					       .size = S_ISDIR(e->mode) ? 0 : e->size,
					       .mtim = e->mtim };
		if (e->target)
			x->target = strdup(e->target);
		if (S_ISREG(e->mode)) {
			int fd = judge_open_rel(t.rootfd, e->rel, O_RDONLY | O_NONBLOCK);
			r = fd < 0 ? fd : hash_file(fd, e->size, x->sha);
			if (fd >= 0)
				close(fd);
			if (r < 0)
				snprintf(err, len, "%s/%s: %s", dir, e->rel, strerror(-r));
		}
	}
	judge_tree_free(&t);
	if (r < 0)
		judge_state_free(s);
	return r;
}

static int by_rel(const void *a, const void *b)
{
	return strcmp(((const struct judge_state_entry *)a)->rel,
		      ((const struct judge_state_entry *)b)->rel);
}

void judge_state_compare(const struct judge_state *a, const struct judge_state *b, struct judge_result *res)
{
	res->checked |= 1u << 6;
	for (size_t i = 0; i < a->n; i++) {
		const struct judge_state_entry *x = &a->e[i];
		/* Entry 0 is the root "."; the rest are sorted by path. */
		const struct judge_state_entry *y =
			i == 0 ? (b->n ? &b->e[0] : NULL)
			       : (b->n > 1 ? bsearch(x, b->e + 1, b->n - 1, sizeof *b->e, by_rel)
					   : NULL);
		if (!y) {
			judge_fail(res, 6, x->rel, "removed from the snapshot");
			continue;
		}
		if (x->mode != y->mode)
			judge_fail(res, 6, x->rel, "mode: was %06o, now %06o", (unsigned)x->mode,
				 (unsigned)y->mode);
		if (x->uid != y->uid || x->gid != y->gid)
			judge_fail(res, 6, x->rel, "owner: was %u:%u, now %u:%u", (unsigned)x->uid,
				 (unsigned)x->gid, (unsigned)y->uid, (unsigned)y->gid);
		if (x->size != y->size)
			judge_fail(res, 6, x->rel, "size: was %lld, now %lld", (long long)x->size,
				 (long long)y->size);
		else if (memcmp(x->sha, y->sha, 32) != 0)
			judge_fail(res, 6, x->rel, "contents changed");
		if (x->mtim.tv_sec != y->mtim.tv_sec || x->mtim.tv_nsec != y->mtim.tv_nsec)
			judge_fail(res, 6, x->rel, "mtime: was %lld.%09ld, now %lld.%09ld",
				 (long long)x->mtim.tv_sec, x->mtim.tv_nsec,
				 (long long)y->mtim.tv_sec, y->mtim.tv_nsec);
		if ((x->target || y->target) &&
		    (!x->target || !y->target || strcmp(x->target, y->target) != 0))
			judge_fail(res, 6, x->rel, "symlink target changed");
	}
	for (size_t i = 1; i < b->n; i++)
		if (a->n < 2 || !bsearch(&b->e[i], a->e + 1, a->n - 1, sizeof *a->e, by_rel))
			judge_fail(res, 6, b->e[i].rel, "added to the snapshot");
}

void judge_state_files_only(struct judge_state *s)
{
	size_t k = 1;
	for (size_t i = 1; i < s->n; i++) {
		if (S_ISREG(s->e[i].mode)) {
			s->e[k++] = s->e[i];
			continue;
		}
		free(s->e[i].rel);
		free(s->e[i].target);
	}
	if (s->n > 0) {
		/* The root is not compared: equal in every state. */
		s->e[0].mode = 0;
		s->e[0].uid = s->e[0].gid = 0;
		s->e[0].mtim = (struct timespec){ 0, 0 };
	}
	s->n = s->n ? k : 0;
}

void judge_state_free(struct judge_state *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->e[i].rel);
		free(s->e[i].target);
	}
	free(s->e);
	memset(s, 0, sizeof *s);
}
