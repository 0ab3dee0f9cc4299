/* draw.h - inside the generator: the random source and the steps that add
 * entries to a layout, shared by generate.c (the base snapshot of each
 * hypervisor) and dims.c (one step per dimension value). */
#ifndef SNAPFORK_LAYOUT_DRAW_H
#define SNAPFORK_LAYOUT_DRAW_H

#include "layout.h"

struct draw {
	struct layout *l;
	uint64_t rng;  /* splitmix64 state */
	int devices;   /* device nodes may be made */
	int kind_set;  /* the snapshot's memory (kind, mem-file) is decided */
	int failed;    /* out of memory: the layout is unusable */
	unsigned next; /* for unique names */
};

uint64_t draw_u64(struct draw *d);
/* Uniform in [0, n). */
uint64_t draw_below(struct draw *d, uint64_t n);

/* Entries; each returns the entry, or NULL if path is taken (or memory
 * ran out: d->failed).  Parents must exist (draw_dirs makes them). */
struct layout_entry *draw_entry(struct draw *d, const char *path, enum layout_type t,
				unsigned mode);
struct layout_entry *draw_file(struct draw *d, const char *path, unsigned mode, uint64_t size);
/* Data of len bytes at off in file e (at most LAYOUT_MAX_EXT extents). */
void draw_data(struct layout_entry *e, uint64_t off, uint32_t len);
struct layout_entry *draw_symlink(struct draw *d, const char *path, const char *target);
/* Every missing directory of path (mode 0755), path included. */
void draw_dirs(struct draw *d, const char *path);
/* The same for the directory path lies in. */
void draw_parent_dirs(struct draw *d, const char *path);
/* The entry at path, or NULL. */
struct layout_entry *draw_find(struct draw *d, const char *path);
/* A directory of the layout ("" for the root), drawn among those not
 * under logs/ (whose content the contract skips). */
const char *draw_some_dir(struct draw *d);
/* A regular file of the layout (not gone), or NULL. */
struct layout_entry *draw_some_file(struct draw *d);
/* parent + "/" + name (or name at the root), in a rotating buffer. */
const char *draw_join(const char *parent, const char *name);
/* A fresh name ("e17"), in a rotating buffer. */
const char *draw_name(struct draw *d, const char *stem);

/* The snapshot's memory: a raw mem-file of size at the candidate path,
 * or its compressed form; nothing if already decided.  1 if made. */
int draw_raw_mem(struct draw *d, const char *path, uint64_t size);
int draw_compressed_mem(struct draw *d, const char *path, enum layout_codec codec);

/* The instance directory around a snapshot (metadata, disks, logs,
 * sockets), and a hypervisor's snapshot in snapshots/snapshot-latest
 * (0 Firecracker, 1 Cloud Hypervisor, 2 QEMU), raw or compressed, with
 * what earlier cycles left. */
void draw_base_instance(struct draw *d);
void draw_base_hypervisor(struct draw *d, unsigned which, int raw);

/* steps.c: one step per kind of dimension (n and s: the table's arguments). */
int step_t_node(struct draw *d, long type, const char *where);
int step_t_file(struct draw *d, long n, const char *s);
int step_t_hardlink(struct draw *d, long n, const char *s);
int step_t_mem_alias(struct draw *d, long n, const char *s);
int step_m_file(struct draw *d, long bit, const char *s);
int step_m_dir(struct draw *d, long bit, const char *s);
int step_m_root(struct draw *d, long mode, const char *s);
int step_m_umask(struct draw *d, long mask, const char *s);
int step_n_name(struct draw *d, long deep, const char *name);
int step_n_long(struct draw *d, long is_dir, const char *s);
int step_n_special(struct draw *d, long type, const char *path);
int step_z_file(struct draw *d, long off_code, const char *size_s);
int step_z_mem(struct draw *d, long n, const char *size_s);
int step_k_raw(struct draw *d, long n, const char *path);
int step_k_compressed(struct draw *d, long codec, const char *path);
int step_k_pair(struct draw *d, long which, const char *s);
int step_h_layout(struct draw *d, long which, const char *s);
int step_s_link(struct draw *d, long n, const char *target);
int step_s_special(struct draw *d, long what, const char *s);
int step_d_shape(struct draw *d, long what, const char *s);
int step_r_forks(struct draw *d, long k, const char *s);
int step_r_race(struct draw *d, long n, const char *s);
int step_r_place(struct draw *d, long n, const char *place);

/* dims.c: make the layout exercise dimension i; 1 if it does now. */
int draw_dim(struct draw *d, size_t i);
/* Dimensions only drawn on purpose (refusals: the whole row is then F13). */
int draw_dim_is_rare(size_t i);
/* Dimensions of how a layout is forked (forks at once, place), not of
 * what it holds. */
int draw_dim_is_how(size_t i);

#endif
