/* layout.h - generated snapshot layouts: a model of a snapshot directory,
 * drawn from a seed over the dimensions the contract's rules depend on
 * (dims.c: the table, generate.c: the draw), built on disk (build.c);
 * suites/check/shrink.c shrinks them.
 *
 * The generator decides what a snapshot holds, never what a fork of it
 * must hold: that is the judge's (suites/judge), which reads the built
 * tree like any other.  Nothing here uses libsnapfork.
 */
#ifndef SNAPFORK_LAYOUT_H
#define SNAPFORK_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

enum layout_type {
	LT_DIR,
	LT_REG,
	LT_SYMLINK,
	LT_HARDLINK, /* another name for the regular file at `target` */
	LT_SOCK,
	LT_FIFO,
	LT_CHR,
	LT_BLK,
};

enum layout_codec { LC_RAW, LC_ZSTD, LC_LZ4 };

struct layout_extent {
	uint64_t off;
	uint32_t len;
};

#define LAYOUT_MAX_EXT 4

struct layout_entry {
	char *path; /* relative; components hold any byte but '/' and NUL */
	enum layout_type type;
	unsigned mode;                            /* permission bits, 07777 */
	uint64_t size;                            /* LT_REG: apparent size (of the raw content) */
	struct layout_extent ext[LAYOUT_MAX_EXT]; /* LT_REG: data, the rest holes */
	unsigned next;
	enum layout_codec codec; /* LT_REG: stored as a zstd or lz4 frame of the content */
	uint32_t seed;           /* LT_REG: the data pattern */
	char *target;            /* LT_SYMLINK: target text; LT_HARDLINK: the linked path */
	int gone;                /* left out (shrinking) */
};

struct layout {
	uint64_t seed;
	unsigned index;
	unsigned umask;     /* the umask the fork runs under */
	unsigned root_mode; /* permission bits of the snapshot directory itself */
	/* How the layout is forked, not what it holds: forks at once (0 or
	 * 1: one) or a race, and a place for SRC and DST by name (suites/conform's
	 * conform_places; NULL: the tidy DIR/snap and DIR/fork).  Neither
	 * applies to a refused layout (its row is a refusal row). */
	unsigned forks;
	int race; /* two forks at once into one DST, then a third into it */
	const char *place;
	struct layout_entry *e;
	size_t n, cap;
	unsigned char *hit; /* per dimension (layout_ndims): exercised here */
};

/* Layout number index of the run seeded with seed: the same pair gives the
 * same layout, byte for byte.  Layout i exercises dimension i mod
 * layout_ndims() on purpose, and a few more drawn at random, so N layouts
 * with N >= layout_ndims() hit every dimension.  devices: whether device
 * nodes may be made (CAP_MKNOD); without, those dimensions are not drawn.
 * 0 or -ENOMEM. */
int layout_generate(uint64_t seed, unsigned index, int devices, struct layout *out);
void layout_free(struct layout *l);
/* A deep copy (for shrinking); 0 or -ENOMEM. */
int layout_copy(const struct layout *from, struct layout *to);
/* Entries not gone. */
size_t layout_count(const struct layout *l);

/* Make dir (which must not exist) hold the layout; 0 or -errno with the
 * path and reason in err. */
int layout_build(const struct layout *l, const char *dir, char *err, size_t len);

/* 1 if a character device node can be made in dir (mknod needs
 * CAP_MKNOD in the namespace that owns the filesystem): tried, not
 * guessed from the uid.  The devices argument of layout_generate. */
int layout_can_mknod(const char *dir);

/* 1 if the contract makes a fork of this layout fail: a FIFO or device
 * node outside the skipped logs/ (CONTRACT.md, "Refused entries"). */
int layout_refused(const struct layout *l);

/* ---- dims.c: the layout space ---- */

struct layout_dim {
	const char *dimension; /* e.g. "name" */
	const char *value;     /* e.g. "a newline in it" */
	const char *rules;     /* the rules it exercises, e.g. "F1 F2" */
};
size_t layout_ndims(void);
const struct layout_dim *layout_dim(size_t i);
/* 1 if dimension i makes device nodes (drawn only where mknod works). */
int layout_dim_needs_devices(size_t i);
/* Print the table as markdown (the harness's docs are made from it). */
void layout_dims_markdown(void *file);

#endif
