/* steps.c - the steps that put one dimension value into a layout; the
 * table in dims.c says which step, with which argument, for which value.
 * Each returns 1 when the layout now exercises the value. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"

/* ---- entry types ---- */

int step_t_node(struct draw *d, long type, const char *where)
{
	const char *dir = where ? where : draw_some_dir(d);
	if (where)
		draw_dirs(d, where);
	return draw_entry(d, draw_join(dir, draw_name(d, "n")), (enum layout_type)type,
			  type == LT_DIR ? 0755 : 0644) != NULL;
}

int step_t_file(struct draw *d, long n, const char *s)
{
	(void)n, (void)s;
	return draw_file(d, draw_join(draw_some_dir(d), draw_name(d, "f")), 0644, 1000) != NULL;
}

/* A second name for a file: in the same directory (n 0) or another (1). */
int step_t_hardlink(struct draw *d, long n, const char *s)
{
	(void)s;
	char dir[128];
	snprintf(dir, sizeof dir, "%s", n ? draw_join("hl", draw_name(d, "d")) : "");
	struct layout_entry *f = draw_file(d, draw_name(d, "linked"), 0640, 5000);
	if (!f)
		return 0;
	char target[256];
	snprintf(target, sizeof target, "%s", f->path);
	if (n)
		draw_dirs(d, dir);
	struct layout_entry *e =
		draw_entry(d, draw_join(dir, draw_name(d, "alias")), LT_HARDLINK, 0);
	return e && (e->target = strdup(target)) != NULL;
}

/* The mem-file's inode under a name that is no candidate: that name is an
 * ordinary file of the fork (F3), the candidate is linked (F4). */
int step_t_mem_alias(struct draw *d, long n, const char *s)
{
	(void)n, (void)s;
	if (!draw_raw_mem(d, "memory", 64ull << 20))
		return 0;
	struct layout_entry *e = draw_entry(d, "memory.bak", LT_HARDLINK, 0);
	return e && (e->target = strdup("memory")) != NULL;
}

/* ---- permission bits, umask ---- */

int step_m_file(struct draw *d, long bit, const char *s)
{
	(void)s;
	return draw_file(d, draw_join(draw_some_dir(d), draw_name(d, "mode")), (unsigned)bit | 0400,
			 4096) != NULL;
}

int step_m_dir(struct draw *d, long bit, const char *s)
{
	(void)s;
	const char *path = draw_join(draw_some_dir(d), draw_name(d, "dmode"));
	struct layout_entry *e = draw_entry(d, path, LT_DIR, (unsigned)bit | 0500);
	if (e) /* something inside, so a copy must walk it */
		draw_file(d, draw_join(path, "inner"), 0644, 10);
	return e != NULL;
}

int step_m_root(struct draw *d, long mode, const char *s)
{
	(void)s;
	d->l->root_mode = (unsigned)mode;
	return 1;
}

int step_m_umask(struct draw *d, long mask, const char *s)
{
	(void)s;
	d->l->umask = (unsigned)mask;
	/* Modes that a umask would eat, on files and directories. */
	draw_file(d, draw_name(d, "um"), 0666, 100);
	draw_entry(d, draw_name(d, "umd"), LT_DIR, 0777);
	return 1;
}

/* ---- names ---- */

int step_n_name(struct draw *d, long deep, const char *name)
{
	const char *dir = deep ? draw_join("named", draw_name(d, "in")) : "";
	if (deep)
		draw_dirs(d, dir);
	return draw_file(d, draw_join(dir, name), 0644, 77) != NULL;
}

int step_n_long(struct draw *d, long is_dir, const char *s)
{
	(void)s;
	char name[256];
	snprintf(name, sizeof name, "%s", draw_name(d, "L"));
	size_t k = strlen(name);
	memset(name + k, 'x', 255 - k);
	name[255] = '\0';
	if (is_dir) {
		draw_dirs(d, name);
		return draw_file(d, draw_join(name, "in"), 0644, 3) != NULL;
	}
	return draw_file(d, name, 0644, 255) != NULL;
}

/* A name the contract gives meaning to, as a type, at a path. */
int step_n_special(struct draw *d, long type, const char *path)
{
	draw_parent_dirs(d, path);
	if (type == LT_DIR) {
		struct layout_entry *e = draw_entry(d, path, LT_DIR, 0755);
		if (e)
			draw_file(d, draw_join(path, "inside"), 0644, 20);
		return e != NULL || (draw_find(d, path) && draw_find(d, path)->type == LT_DIR);
	}
	if (type == LT_REG)
		return draw_file(d, path, 0644, 321) != NULL;
	return draw_entry(d, path, (enum layout_type)type, 0755) != NULL;
}

/* ---- sizes and data offsets ---- */

/* A file of size with data at off (len bytes, cut at the end). */
int step_z_file(struct draw *d, long off_code, const char *size_s)
{
	unsigned long long size = strtoull(size_s, NULL, 0);
	struct layout_entry *e =
		draw_file(d, draw_join(draw_some_dir(d), draw_name(d, "sz")), 0644, size);
	if (!e)
		return 0;
	if (off_code == -1) { /* all hole */
		e->next = 0;
		return 1;
	}
	uint64_t off = off_code == -2 ? (size > 4096 ? size - 4096 : 0) : (uint64_t)off_code;
	if (size <= 65536) /* a hole where the dimension wants data */
		e->next = 0;
	draw_data(e, off, size < 8192 ? (uint32_t)size : 8192);
	return 1;
}

int step_z_mem(struct draw *d, long n, const char *size_s)
{
	(void)n;
	unsigned long long size = strtoull(size_s, NULL, 0);
	if (!draw_raw_mem(d, "memory", size))
		return 0;
	if (n == -1) { /* guest memory never touched: all hole */
		struct layout_entry *e = draw_find(d, "memory");
		e->next = 0;
	}
	return 1;
}

/* ---- snapshot kinds ---- */

int step_k_raw(struct draw *d, long n, const char *path)
{
	(void)n;
	return draw_raw_mem(d, path, 128ull << 20);
}

int step_k_compressed(struct draw *d, long codec, const char *path)
{
	return draw_compressed_mem(d, path, (enum layout_codec)codec);
}

/* Two forms of the memory at once: which one the contract picks. */
int step_k_pair(struct draw *d, long which, const char *s)
{
	(void)s;
	if (d->kind_set)
		return 0;
	switch (which) {
	case 0: /* two raw candidates: the first in order wins */
		draw_raw_mem(d, "memory-ranges", 32ull << 20);
		d->kind_set = 0;
		return draw_raw_mem(d, "memory", 16ull << 20);
	case 1: /* .zst and .lz4: .zst wins */
		draw_compressed_mem(d, "memory", LC_ZSTD);
		d->kind_set = 0;
		return draw_compressed_mem(d, "memory", LC_LZ4);
	case 2: /* raw beside its compressed copy: raw wins */
		draw_raw_mem(d, "snapshots/snapshot-latest/memory", 64ull << 20);
		d->kind_set = 0;
		return draw_compressed_mem(d, "snapshots/snapshot-latest/memory", LC_ZSTD);
	case 3: /* compressed, the raw name taken by a directory */
		step_n_special(d, LT_DIR, "memory");
		return draw_compressed_mem(d, "memory", LC_LZ4);
	case 4: /* the first candidate a directory, the next one raw */
		step_n_special(d, LT_DIR, "memory-ranges");
		return draw_raw_mem(d, "memory", 32ull << 20);
	case 5: /* the first candidate a symlink to a file, the next one raw */
		draw_file(d, "elsewhere.bin", 0600, 4096);
		draw_symlink(d, "memory-ranges", "elsewhere.bin");
		return draw_raw_mem(d, "snapshots/snapshot-latest/memory", 32ull << 20);
	case 6: /* a socket named like a candidate: no memory there */
		draw_entry(d, "memory", LT_SOCK, 0755);
		return 1;
	default: /* memoryless, with names that only look like memory */
		draw_dirs(d, "a");
		draw_file(d, "memory.gz", 0644, 4096);
		draw_file(d, "a/memory.zst", 0644, 4096);
		d->kind_set = 1;
		return 1;
	}
}

/* ---- hypervisor layouts ---- */

int step_h_layout(struct draw *d, long which, const char *s)
{
	(void)s;
	draw_base_instance(d);
	draw_base_hypervisor(d, (unsigned)which % 3, which < 3);
	return 1;
}

/* ---- symlinks ---- */

int step_s_link(struct draw *d, long n, const char *target)
{
	(void)n;
	return draw_symlink(d, draw_join(draw_some_dir(d), draw_name(d, "ln")), target) != NULL;
}

int step_s_special(struct draw *d, long what, const char *s)
{
	(void)s;
	char target[4200];
	const char *dir = draw_some_dir(d), *name = draw_name(d, "sl");
	switch (what) {
	case 0: /* to itself */
		snprintf(target, sizeof target, "%s", name);
		break;
	case 1: /* a 4000-byte target */
		memset(target, 'a', 4000);
		target[4000] = '\0';
		for (int i = 100; i < 4000; i += 100)
			target[i] = '/';
		break;
	case 2: /* a chain: link -> link -> file */
		draw_file(d, draw_join(dir, "chain-end"), 0644, 10);
		draw_symlink(d, draw_join(dir, "chain-mid"), "chain-end");
		snprintf(target, sizeof target, "chain-mid");
		break;
	case 3: /* to a socket */
		draw_entry(d, draw_join(dir, "to.sock"), LT_SOCK, 0755);
		snprintf(target, sizeof target, "to.sock");
		break;
	default: /* to a FIFO: not followed, so nothing is refused */
		snprintf(target, sizeof target, "/dev/nonexistent-fifo");
		break;
	}
	return draw_symlink(d, draw_join(dir, name), target) != NULL;
}

/* ---- directories ---- */

int step_d_shape(struct draw *d, long what, const char *s)
{
	(void)s;
	char base[64];
	snprintf(base, sizeof base, "%s", draw_name(d, what == 0 ? "wide" : "deep"));
	if (what == 0) { /* wide: 300 entries in one directory */
		draw_dirs(d, base);
		for (int i = 0; i < 300; i++)
			draw_file(d, draw_join(base, draw_name(d, "w")), 0644, (uint64_t)i % 7);
		return 1;
	}
	char path[4096];
	snprintf(path, sizeof path, "%s", base);
	for (int i = 0; i < 48; i++) /* deep, well below PATH_MAX */
		snprintf(path + strlen(path), sizeof path - strlen(path), "/d%d", i);
	draw_dirs(d, path);
	return draw_file(d, draw_join(path, "bottom"), 0644, 9) != NULL;
}

/* ---- how the layout is forked ---- */

/* K forks at once: a fork that stages in one fixed place, or takes a
 * lock it never frees, fails only beside others. */
int step_r_forks(struct draw *d, long k, const char *s)
{
	(void)s;
	if (d->l->forks || d->l->race) /* decided already: this value is not drawn */
		return 0;
	d->l->forks = (unsigned)k;
	return 1;
}

/* Two forks into one DST: a fork that replaces DST lets both succeed. */
int step_r_race(struct draw *d, long n, const char *s)
{
	(void)n;
	(void)s;
	if (d->l->forks || d->l->race)
		return 0;
	d->l->race = 1;
	return 1;
}

/* SRC and DST under a hostile place (suites/conform/place.c has them). */
int step_r_place(struct draw *d, long n, const char *place)
{
	(void)n;
	if (d->l->place)
		return 0;
	d->l->place = place;
	return 1;
}
