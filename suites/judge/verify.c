/* verify.c - check an existing fork against its snapshot (CONTRACT.md
 * F1-F5, F9-F11: every rule that needs no mmap, deletion or before/after
 * view). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "judge.h"

#define BIT(n) (1u << (n))

static const char *type_name(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFDIR:
		return "directory";
	case S_IFREG:
		return "regular file";
	case S_IFLNK:
		return "symlink";
	case S_IFSOCK:
		return "socket";
	case S_IFIFO:
		return "FIFO";
	case S_IFCHR:
		return "character device";
	case S_IFBLK:
		return "block device";
	}
	return "unknown type";
}

struct vctx {
	const struct judge_tree *snap, *fork;
	const struct judge_expect *x;
	struct judge_result *res;
	int same_fs;
	int mem_copied; /* the leg refused link(2): a copy is expected */
	uint64_t unit;  /* allocation unit of the fork's filesystem */
};

/* F2 contents and F5 holes of one regular file pair. */
static void check_data(struct vctx *v, const struct judge_entry *s, const struct judge_entry *f,
		       int rule_data, int rule_holes)
{
	char msg[256];
	int a = judge_open_rel(v->snap->rootfd, s->rel, O_RDONLY | O_NONBLOCK);
	int b = judge_open_rel(v->fork->rootfd, f->rel, O_RDONLY | O_NONBLOCK);
	if (a < 0 || b < 0) {
		judge_fail(v->res, rule_data, s->rel, "cannot open to compare: %s",
			   strerror(a < 0 ? -a : -b));
	} else {
		if (s->size != f->size)
			judge_fail(v->res, rule_data, s->rel, "size: expected %lld, found %lld",
				   (long long)s->size, (long long)f->size);
		else if (judge_compare_content(a, b, s->size, msg, sizeof msg) != 0)
			judge_fail(v->res, rule_data, s->rel, "content: %s", msg);
		if (s->size == f->size && judge_extents_within(b, a, s->size, msg, sizeof msg) != 0)
			judge_fail(v->res, rule_holes, s->rel, "%s", msg);
		if (judge_allocation_within(b, a, v->unit, msg, sizeof msg) > 0)
			judge_fail(v->res, rule_holes, s->rel, "%s", msg);
	}
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
}

static void check_mem(struct vctx *v, const struct judge_entry *s, const struct judge_entry *f)
{
	if (!v->same_fs || v->mem_copied) {
		/* F11: another filesystem, so a copy; holes must survive it. */
		check_data(v, s, f, 11, 11);
		return;
	}
	if (f->dev != s->dev || f->ino != s->ino)
		judge_fail(v->res, 4, s->rel,
			   "inode: expected the snapshot's (dev %llu, ino %llu), found (dev %llu, "
			   "ino %llu)",
			   (unsigned long long)s->dev, (unsigned long long)s->ino,
			   (unsigned long long)f->dev, (unsigned long long)f->ino);
	else if (f->nlink < 2)
		judge_fail(v->res, 4, s->rel, "st_nlink: expected >= 2, found %llu",
			   (unsigned long long)f->nlink);
	if (f->dev != s->dev || f->ino != s->ino)
		check_data(v, s, f, 2, 5);
}

static void check_pair(struct vctx *v, const struct judge_entry *s, const struct judge_entry *f)
{
	if ((s->mode & S_IFMT) != (f->mode & S_IFMT)) {
		judge_fail(v->res, 1, s->rel, "type: expected %s, found %s", type_name(s->mode),
			   type_name(f->mode));
		return;
	}
	if (S_ISLNK(s->mode)) {
		if (strcmp(s->target, f->target) != 0)
			judge_fail(v->res, 2, s->rel,
				   "symlink target: expected \"%s\", found \"%s\"", s->target,
				   f->target);
		return;
	}
	if ((s->mode & 07777) != (f->mode & 07777))
		judge_fail(v->res, 2, s->rel, "mode: expected %04o, found %04o",
			   (unsigned)(s->mode & 07777), (unsigned)(f->mode & 07777));
	if (!S_ISREG(s->mode))
		return;
	if (v->x->kind == JUDGE_RAW && s == v->x->mem) {
		check_mem(v, s, f);
		return;
	}
	if (f->dev == s->dev && f->ino == s->ino) {
		judge_fail(v->res, 3, s->rel,
			   "inode: expected its own, found the snapshot's (ino %llu)",
			   (unsigned long long)s->ino);
		return;
	}
	check_data(v, s, f, 2, 5);
}

/* The snapshot's entry at rel when the fork must hold it too, else NULL. */
static const struct judge_entry *kept_entry(const struct vctx *v, const char *rel)
{
	const struct judge_entry *s = judge_tree_find(v->snap, rel);
	return s && v->x->keep[s - v->snap->e] ? s : NULL;
}

/* F9: the raw mem-file of a compressed-only snapshot. */
static void check_compressed(struct vctx *v)
{
	/* The raw name taken in the snapshot by an entry the fork keeps (a
	 * directory, a symlink): that entry is judged by F1/F2, and the
	 * compressed copy is the memory.  A skipped entry there (a socket)
	 * leaves the name free. */
	const struct judge_entry *raw =
		kept_entry(v, v->x->raw_rel) ? NULL : judge_tree_find(v->fork, v->x->raw_rel);
	const struct judge_entry *copy = judge_tree_find(v->fork, v->x->mem->rel);
	if (!raw) {
		/* Fallback: the compressed file copied byte for byte (F2 checks
		 * the bytes); a fork with neither has no memory at all. */
		if (!copy)
			judge_fail(v->res, 9, v->x->raw_rel,
				   "expected a raw mem-file or a copy of %s, found neither",
				   v->x->mem->rel);
		return;
	}
	if (!S_ISREG(raw->mode)) {
		judge_fail(v->res, 9, raw->rel, "expected a regular file, found %s",
			   type_name(raw->mode));
		return;
	}
	char msg[256];
	int c = judge_open_rel(v->snap->rootfd, v->x->mem->rel, O_RDONLY | O_NONBLOCK);
	int r = judge_open_rel(v->fork->rootfd, raw->rel, O_RDONLY | O_NONBLOCK);
	int d = c >= 0 && r >= 0 ? judge_compare_decompressed(c, v->x->mem->rel, r, msg, sizeof msg)
				 : -1;
	if (d == -1)
		judge_fail(v->res, 9, raw->rel, "cannot open to compare");
	else if (d == 2)
		judge_fail(v->res, 9, raw->rel, "a raw file from a bad stream: %s", msg);
	else if (d != 0)
		judge_fail(v->res, 9, raw->rel, "%s", d < 0 ? strerror(-d) : msg);
	if (c >= 0)
		close(c);
	if (r >= 0)
		close(r);
}

static const char *const mem_names[] = { "memory-ranges", "memory",
					 "snapshots/snapshot-latest/memory-ranges",
					 "snapshots/snapshot-latest/memory" };

static void check_trees(struct vctx *v)
{
	const struct judge_tree *snap = v->snap, *fork = v->fork;
	if ((snap->root.st_mode & 07777) != (fork->root.st_mode & 07777))
		judge_fail(v->res, 2, ".", "mode: expected %04o, found %04o",
			   (unsigned)(snap->root.st_mode & 07777),
			   (unsigned)(fork->root.st_mode & 07777));
	for (size_t i = 0; i < snap->n; i++) {
		const struct judge_entry *s = &snap->e[i], *f = judge_tree_find(fork, s->rel);
		if (v->x->keep[i] && !f)
			judge_fail(v->res, 1, s->rel, "missing: expected a %s", type_name(s->mode));
		else if (!v->x->keep[i] && f && v->x->kind == JUDGE_COMPRESSED &&
			 strcmp(s->rel, v->x->raw_rel) == 0)
			continue; /* a skipped entry left the raw name free: F9 judges it */
		else if (!v->x->keep[i] && f)
			judge_fail(v->res, 1, s->rel,
				   "present: expected it skipped by the contract");
		else if (f)
			check_pair(v, s, f);
	}
	for (size_t i = 0; i < fork->n; i++) {
		const struct judge_entry *f = &fork->e[i];
		if (judge_tree_find(snap, f->rel))
			continue;
		int is_raw = v->x->kind != JUDGE_MEMORYLESS && strcmp(f->rel, v->x->raw_rel) == 0;
		int memish = 0;
		for (size_t k = 0; k < 4; k++)
			memish |= strcmp(f->rel, mem_names[k]) == 0;
		if (v->x->kind == JUDGE_COMPRESSED && is_raw)
			continue; /* F9 judges it */
		if (v->x->kind == JUDGE_MEMORYLESS && memish)
			judge_fail(v->res, 10, f->rel,
				   "a mem-file in the fork of a memoryless snapshot");
		else
			judge_fail(v->res, 1, f->rel, "unexpected %s: not in the snapshot",
				   type_name(f->mode));
	}
	if (v->x->kind == JUDGE_COMPRESSED)
		check_compressed(v);
}

int judge_verify(const char *snap, const char *fork, const struct judge_verify_opts *o,
		 struct judge_result *res, char *err, size_t errlen)
{
	struct judge_tree ts, tf;
	struct judge_expect x;
	int r = judge_tree_load(snap, &ts, err, errlen);
	if (r < 0)
		return r;
	if ((r = judge_tree_load(fork, &tf, err, errlen)) < 0) {
		judge_tree_free(&ts);
		return r;
	}
	if ((r = judge_expect(&ts, o ? o->skip : NULL, &x)) < 0) {
		snprintf(err, errlen, "%s", strerror(-r));
	} else {
		struct statvfs sv;
		struct vctx v = {
			&ts, &tf, &x, res, ts.root.st_dev == tf.root.st_dev, o && o->mem_copied,
			4096
		};
		if (fstatvfs(tf.rootfd, &sv) == 0 && sv.f_frsize > 0)
			v.unit = sv.f_frsize;
		res->checked |= BIT(1) | BIT(2) | BIT(3) | BIT(5);
		if (x.kind == JUDGE_RAW)
			res->checked |= v.same_fs && !v.mem_copied ? BIT(4) : BIT(11);
		res->checked |= x.kind == JUDGE_COMPRESSED ? BIT(9) : 0;
		res->checked |= x.kind == JUDGE_MEMORYLESS ? BIT(10) : 0;
		check_trees(&v);
		judge_expect_free(&x);
	}
	judge_tree_free(&tf);
	judge_tree_free(&ts);
	return r;
}
