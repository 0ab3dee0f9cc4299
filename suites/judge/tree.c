/* tree.c - load a whole tree's metadata, the checker's own walk.
 *
 * Breadth-first over a queue of directory paths; each directory is opened
 * from its parent's fd with O_NOFOLLOW, so symlinks are recorded, never
 * entered.  The entry list is sorted at the end for lookups by path.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "judge.h"

static int add(struct judge_tree *t, const char *rel, const struct stat *st, const char *target)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct judge_entry *e = realloc(t->e, cap * sizeof *e);
		if (!e)
			return -ENOMEM;
		t->e = e;
		t->cap = cap;
	}
	struct judge_entry *e = &t->e[t->n];
	memset(e, 0, sizeof *e);
	e->rel = strdup(rel);
	e->target = target ? strdup(target) : NULL;
	if (!e->rel || (target && !e->target)) {
		free(e->rel);
		free(e->target);
		return -ENOMEM;
	}
	e->mode = st->st_mode;
	e->size = st->st_size;
	e->dev = st->st_dev;
	e->ino = st->st_ino;
	e->nlink = st->st_nlink;
	e->blocks = st->st_blocks;
	e->uid = st->st_uid;
	e->gid = st->st_gid;
	e->mtim = st->st_mtim;
	t->n++;
	return 0;
}

static char *join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = malloc(la + lb + 2);
	if (!s)
		return NULL;
	if (la) {
		memcpy(s, a, la);
		s[la++] = '/';
	}
	memcpy(s + la, b, lb + 1);
	return s;
}

/* Scan one open directory: record its entries, recurse into subdirs. */
static int scan(struct judge_tree *t, int dirfd, const char *rel, unsigned depth, char *err,
		size_t errlen)
{
	if (depth > 8192) {
		snprintf(err, errlen, "%s: tree deeper than 8192 levels", rel);
		return -ELOOP;
	}
	int fd = dup(dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		snprintf(err, errlen, "%s: cannot read directory: %s", *rel ? rel : ".",
			 strerror(errno));
		return -errno;
	}
	int r = 0;
	struct dirent *de;
	while (r == 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char *path = join(rel, de->d_name);
		struct stat st;
		char target[PATH_MAX + 1];
		ssize_t tn = 0;
		if (!path)
			r = -ENOMEM;
		else if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			r = -errno;
		else if (S_ISLNK(st.st_mode) &&
			 (tn = readlinkat(dirfd, de->d_name, target, sizeof target - 1)) < 0)
			r = -errno;
		if (r == 0) {
			if (S_ISLNK(st.st_mode))
				target[tn] = '\0';
			r = add(t, path, &st, S_ISLNK(st.st_mode) ? target : NULL);
		}
		if (r == 0 && S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd, de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				r = -errno;
			} else {
				r = scan(t, sub, path, depth + 1, err, errlen);
				close(sub);
			}
		} else if (r < 0) {
			snprintf(err, errlen, "%s: %s", path ? path : de->d_name, strerror(-r));
		}
		free(path);
	}
	closedir(d);
	return r;
}

static int by_rel(const void *a, const void *b)
{
	return strcmp(((const struct judge_entry *)a)->rel, ((const struct judge_entry *)b)->rel);
}

int judge_tree_load(const char *path, struct judge_tree *t, char *err, size_t errlen)
{
	memset(t, 0, sizeof *t);
	t->rootfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (t->rootfd < 0 || fstat(t->rootfd, &t->root) < 0) {
		int e = errno;
		snprintf(err, errlen, "%s: cannot open directory: %s", path, strerror(e));
		if (t->rootfd >= 0)
			close(t->rootfd);
		t->rootfd = -1;
		return -e;
	}
	int r = scan(t, t->rootfd, "", 0, err, errlen);
	if (r < 0) {
		judge_tree_free(t);
		return r;
	}
	if (t->n > 1)
		qsort(t->e, t->n, sizeof *t->e, by_rel);
	return 0;
}

void judge_tree_free(struct judge_tree *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->e[i].rel);
		free(t->e[i].target);
	}
	free(t->e);
	if (t->rootfd >= 0)
		close(t->rootfd);
	memset(t, 0, sizeof *t);
	t->rootfd = -1;
}

const struct judge_entry *judge_tree_find(const struct judge_tree *t, const char *rel)
{
	struct judge_entry key = { .rel = (char *)rel };
	if (t->n == 0)
		return NULL;
	return bsearch(&key, t->e, t->n, sizeof *t->e, by_rel);
}

int judge_open_rel(int rootfd, const char *rel, int flags)
{
	int fd = dup(rootfd);
	if (fd < 0)
		return -errno;
	const char *p = rel;
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		char name[NAME_MAX + 1];
		if (n == 0 || n > NAME_MAX) {
			close(fd);
			return -EINVAL;
		}
		memcpy(name, p, n);
		name[n] = '\0';
		int f = slash ? O_RDONLY | O_DIRECTORY : flags;
		int next = openat(fd, name, f | O_NOFOLLOW | O_CLOEXEC);
		int e = errno;
		close(fd);
		if (next < 0)
			return -e;
		fd = next;
		if (!slash)
			return fd;
		p = slash + 1;
	}
}
