/* generate.c - a layout from (seed, index): the random source, the steps
 * that add entries, and the base snapshot of each hypervisor as VM
 * managers leave it between snapshot cycles (shared/docs/domain.md). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"

/* splitmix64 (Steele, Lea, Flood 2014): tiny, well mixed, and the same
 * sequence on every platform, so a seed names its layouts for good. */
uint64_t draw_u64(struct draw *d)
{
	uint64_t z = (d->rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint64_t draw_below(struct draw *d, uint64_t n)
{
	return n ? draw_u64(d) % n : 0;
}

struct layout_entry *draw_find(struct draw *d, const char *path)
{
	for (size_t i = 0; i < d->l->n; i++)
		if (strcmp(d->l->e[i].path, path) == 0)
			return &d->l->e[i];
	return NULL;
}

struct layout_entry *draw_entry(struct draw *d, const char *path, enum layout_type t, unsigned mode)
{
	struct layout *l = d->l;
	if (d->failed || !*path || draw_find(d, path))
		return NULL;
	/* Only below a directory of the layout (a name may be taken by a file). */
	const char *slash = strrchr(path, '/');
	if (slash) {
		char parent[4096];
		snprintf(parent, sizeof parent, "%.*s", (int)(slash - path), path);
		struct layout_entry *p = draw_find(d, parent);
		if (!p || p->type != LT_DIR)
			return NULL;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		struct layout_entry *v = realloc(l->e, cap * sizeof *v);
		if (!v) {
			d->failed = 1;
			return NULL;
		}
		l->e = v;
		l->cap = cap;
	}
	struct layout_entry *e = &l->e[l->n];
	memset(e, 0, sizeof *e);
	if (!(e->path = strdup(path))) {
		d->failed = 1;
		return NULL;
	}
	e->type = t;
	e->mode = mode & 07777;
	l->n++;
	return e;
}

struct layout_entry *draw_file(struct draw *d, const char *path, unsigned mode, uint64_t size)
{
	struct layout_entry *e = draw_entry(d, path, LT_REG, mode);
	if (e) {
		e->size = size;
		e->seed = (uint32_t)draw_u64(d);
		/* Small files are written as files are: all data.  Larger ones
		 * get their data where the caller says, the rest holes. */
		if (size > 0 && size <= 65536)
			draw_data(e, 0, (uint32_t)size);
	}
	return e;
}

void draw_data(struct layout_entry *e, uint64_t off, uint32_t len)
{
	if (e->next == LAYOUT_MAX_EXT || off >= e->size)
		return;
	if (len > e->size - off)
		len = (uint32_t)(e->size - off);
	/* Kept sorted and apart: the builder writes them in order. */
	for (unsigned i = 0; i < e->next; i++)
		if (off < e->ext[i].off + e->ext[i].len && e->ext[i].off < off + len)
			return;
	unsigned i = e->next++;
	while (i > 0 && e->ext[i - 1].off > off) {
		e->ext[i] = e->ext[i - 1];
		i--;
	}
	e->ext[i] = (struct layout_extent){ off, len };
}

struct layout_entry *draw_symlink(struct draw *d, const char *path, const char *target)
{
	struct layout_entry *e = draw_entry(d, path, LT_SYMLINK, 0777);
	if (e && !(e->target = strdup(target))) {
		d->failed = 1;
		return NULL;
	}
	return e;
}

void draw_dirs(struct draw *d, const char *path)
{
	char *p = strdup(path);
	if (!p) {
		d->failed = 1;
		return;
	}
	for (char *s = p;; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			struct layout_entry *e = draw_find(d, p);
			if (!e)
				draw_entry(d, p, LT_DIR, 0755);
			*s = c;
			if (!c)
				break;
		}
	}
	free(p);
}

void draw_parent_dirs(struct draw *d, const char *path)
{
	const char *slash = strrchr(path, '/');
	if (slash) {
		char parent[4096];
		snprintf(parent, sizeof parent, "%.*s", (int)(slash - path), path);
		draw_dirs(d, parent);
	}
}

const char *draw_join(const char *parent, const char *name)
{
	static char buf[8][8192];
	static unsigned k;
	char *b = buf[k++ % 8];
	snprintf(b, sizeof buf[0], "%s%s%s", parent, *parent ? "/" : "", name);
	return b;
}

const char *draw_name(struct draw *d, const char *stem)
{
	static char buf[8][64];
	static unsigned k;
	char *b = buf[k++ % 8];
	snprintf(b, sizeof buf[0], "%s%u", stem, d->next++);
	return b;
}

const char *draw_some_dir(struct draw *d)
{
	size_t n = 0;
	for (size_t i = 0; i < d->l->n; i++)
		n += d->l->e[i].type == LT_DIR && strncmp(d->l->e[i].path, "logs", 4) != 0;
	uint64_t k = draw_below(d, n + 1);
	for (size_t i = 0; i < d->l->n && k; i++)
		if (d->l->e[i].type == LT_DIR && strncmp(d->l->e[i].path, "logs", 4) != 0 &&
		    --k == 0)
			return d->l->e[i].path;
	return "";
}

struct layout_entry *draw_some_file(struct draw *d)
{
	size_t n = 0;
	for (size_t i = 0; i < d->l->n; i++)
		n += d->l->e[i].type == LT_REG && !d->l->e[i].gone;
	uint64_t k = draw_below(d, n);
	for (size_t i = 0; i < d->l->n; i++)
		if (d->l->e[i].type == LT_REG && !d->l->e[i].gone && k-- == 0)
			return &d->l->e[i];
	return NULL;
}

int draw_raw_mem(struct draw *d, const char *path, uint64_t size)
{
	if (d->kind_set)
		return 0;
	draw_parent_dirs(d, path);
	struct layout_entry *e = draw_file(d, path, 0600, size);
	if (!e)
		return 0;
	/* Guest memory: a few data regions in a sea of holes. */
	draw_data(e, 0, 8192);
	if (size > (1u << 20))
		draw_data(e, (size / 2) & ~4095ull, 65536);
	if (size > 8192)
		draw_data(e, (size - 4096) & ~4095ull, 4096);
	d->kind_set = 1;
	return 1;
}

int draw_compressed_mem(struct draw *d, const char *path, enum layout_codec codec)
{
	char name[256];
	snprintf(name, sizeof name, "%s%s", path, codec == LC_ZSTD ? ".zst" : ".lz4");
	if (d->kind_set)
		return 0;
	draw_parent_dirs(d, path);
	/* The raw content is small: the judge decompresses it for F9. */
	struct layout_entry *e = draw_file(d, name, 0600, 256 * 1024);
	if (!e)
		return 0;
	e->codec = codec;
	draw_data(e, 0, 4096);
	draw_data(e, 128 * 1024, 8192);
	d->kind_set = 1;
	return 1;
}

/* The instance directory a VM manager keeps around a snapshot (domain.md):
 * metadata, a sparse overlay disk, a config disk, volume overlays, logs,
 * runtime sockets, and what earlier snapshot cycles left. */
void draw_base_instance(struct draw *d)
{
	struct layout_entry *e;
	draw_file(d, "metadata.json", 0644, 300);
	if ((e = draw_file(d, "overlay.raw", 0644, 1ull << 30)))
		draw_data(e, 1 << 20, 65536);
	if ((e = draw_file(d, "config.ext4", 0644, 4u << 20)))
		draw_data(e, 0, 16384);
	draw_dirs(d, "vol-overlays");
	if ((e = draw_file(d, "vol-overlays/data.raw", 0644, 64u << 20)))
		draw_data(e, 4096, 4096);
	draw_dirs(d, "logs");
	draw_file(d, "logs/app.log", 0644, 700);
	draw_file(d, "logs/vmm.log", 0644, 900);
	draw_file(d, "logs/hypeman.log", 0644, 100);
	draw_entry(d, "vsock.sock", LT_SOCK, 0755);
	draw_dirs(d, "snapshots/snapshot-latest");
}

/* Each hypervisor's files in snapshots/snapshot-latest/, and what its
 * manager keeps between cycles: a half-written compression output, the
 * previous cycle's snapshot directory. */
void draw_base_hypervisor(struct draw *d, unsigned which, int raw)
{
	static const char *const sock[] = { "firecracker.sock", "ch.sock", "qemu.sock" };
	static const char *const mem[] = { "memory", "memory-ranges", "memory" };
	static const char *const files[][2] = { { "state", "firecracker-config.json" },
						{ "state.json", "config.json" },
						{ "qemu-config.json", NULL } };
	const char *latest = "snapshots/snapshot-latest";
	draw_entry(d, sock[which], LT_SOCK, 0755);
	for (int k = 0; k < 2 && files[which][k]; k++)
		draw_file(d, draw_join(latest, files[which][k]), 0644, 2000 + 300 * (unsigned)k);
	if (raw)
		draw_raw_mem(d, draw_join(latest, mem[which]), 256ull << 20);
	else
		draw_compressed_mem(d, draw_join(latest, mem[which]),
				    which == 1 ? LC_ZSTD : LC_LZ4);
	if (draw_below(d, 2)) { /* what the previous cycle left */
		draw_file(d, draw_join(latest, "memory.zst.tmp"), 0600, 12345);
		draw_dirs(d, "snapshots/snapshot-prev");
		struct layout_entry *e =
			draw_file(d, "snapshots/snapshot-prev/memory", 0600, 64u << 20);
		if (e)
			draw_data(e, 0, 4096);
	}
}

static void generate(struct draw *d, unsigned index)
{
	size_t nd = layout_ndims();
	struct layout *l = d->l;
	static const unsigned umasks[] = { 022, 022, 002, 027, 077 };
	l->umask = umasks[draw_below(d, 5)];
	l->root_mode = 0755;
	/* The dimension this layout is for, first: it may decide the memory. */
	size_t forced = index % nd;
	/* Without devices, the next dimension that needs none (the two
	 * device dimensions are neighbours: one step is not enough). */
	for (size_t k = 0; k < nd && layout_dim_needs_devices(forced) && !d->devices; k++)
		forced = (forced + 1) % nd;
	if (draw_dim(d, forced))
		l->hit[forced] = 1;
	unsigned base = (unsigned)draw_below(d, 5); /* 3: no instance files, 4: memoryless */
	if (base < 4)
		draw_base_instance(d);
	if (base < 3)
		draw_base_hypervisor(d, base, draw_below(d, 4) != 0);
	for (unsigned k = 0, extra = 2 + (unsigned)draw_below(d, 6); k < extra; k++) {
		size_t i = draw_below(d, nd);
		if (draw_dim_is_rare(i) || (layout_dim_needs_devices(i) && !d->devices))
			continue;
		if (draw_dim(d, i))
			l->hit[i] = 1;
	}
	/* A refused layout's row is a refusal row: one fork, at DIR/fork. */
	if (layout_refused(l)) {
		l->forks = 0;
		l->race = 0;
		l->place = NULL;
		for (size_t i = 0; i < nd; i++)
			if (draw_dim_is_how(i))
				l->hit[i] = 0;
	}
}

int layout_generate(uint64_t seed, unsigned index, int devices, struct layout *out)
{
	memset(out, 0, sizeof *out);
	out->seed = seed;
	out->index = index;
	out->hit = calloc(layout_ndims(), 1);
	if (!out->hit)
		return -ENOMEM;
	/* One stream per layout: layout i does not depend on layouts < i. */
	struct draw d = { .l = out,
			  .rng = seed ^ (0xd1b54a32d192ed03ull * (index + 1ull)),
			  .devices = devices };
	generate(&d, index);
	if (d.failed) {
		layout_free(out);
		return -ENOMEM;
	}
	return 0;
}
