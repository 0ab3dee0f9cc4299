/* dims.c - the layout space: every dimension along which a snapshot
 * directory can vary and that some rule of CONTRACT.md depends on, each
 * value with the step that puts it into a layout.  The table is the
 * documentation too (snapfork check --dimensions prints it). */
#include <stdio.h>

#include "draw.h"

enum { RARE = 1, DEVICES = 2, HOW = 4 };

struct dim {
	struct layout_dim doc;
	int (*step)(struct draw *d, long n, const char *s);
	long n;
	const char *s;
	int flags;
};

#define FILE_BIT(b, name)                                                                          \
	{                                                                                          \
		{ "mode of a regular file", "bit " #b " " name, "F2" }, step_m_file, b, NULL, 0    \
	}
#define DIR_BIT(b, name)                                                                           \
	{                                                                                          \
		{ "mode of a directory", "bit " #b " " name, "F2" }, step_m_dir, b, NULL, 0        \
	}

/* SRC and DST under one of suites/conform/place.c's places, by name. */
#define PLACE(name, what)                                                                          \
	{                                                                                          \
		{ "where SRC and DST live", name ": " what, "F1 F4 F13" }, step_r_place, 0, name,  \
			HOW                                                                        \
	}

static const struct dim dims[] = {
	{ { "entry type", "directory, empty", "F1 F2" }, step_t_node, LT_DIR, NULL, 0 },
	{ { "entry type", "regular file", "F1 F2 F3 F5" }, step_t_file, 0, NULL, 0 },
	{ { "entry type", "socket (skipped)", "F1" }, step_t_node, LT_SOCK, NULL, 0 },
	{ { "entry type", "FIFO (refused)", "F13 F6" }, step_t_node, LT_FIFO, NULL, RARE },
	{ { "entry type", "FIFO deep in the tree (refused)", "F13 F6" },
	  step_t_node,
	  LT_FIFO,
	  "x/y/z",
	  RARE },
	{ { "entry type", "FIFO inside the top-level logs/ (skipped, not refused)", "F1 F13" },
	  step_t_node,
	  LT_FIFO,
	  "logs",
	  0 },
	{ { "entry type", "character device (refused)", "F13 F6" },
	  step_t_node,
	  LT_CHR,
	  NULL,
	  RARE | DEVICES },
	{ { "entry type", "block device (refused)", "F13 F6" },
	  step_t_node,
	  LT_BLK,
	  NULL,
	  RARE | DEVICES },
	{ { "hardlinks", "two names in one directory", "F3 F1" }, step_t_hardlink, 0, NULL, 0 },
	{ { "hardlinks", "two names in different directories", "F3 F1" },
	  step_t_hardlink,
	  1,
	  NULL,
	  0 },
	{ { "hardlinks", "the mem-file under a non-candidate name", "F3 F4" },
	  step_t_mem_alias,
	  0,
	  NULL,
	  0 },
	FILE_BIT(04000, "setuid"),
	FILE_BIT(02000, "setgid"),
	FILE_BIT(01000, "sticky"),
	FILE_BIT(0400, "u+r"),
	FILE_BIT(0200, "u+w"),
	FILE_BIT(0100, "u+x"),
	FILE_BIT(040, "g+r"),
	FILE_BIT(020, "g+w"),
	FILE_BIT(010, "g+x"),
	FILE_BIT(04, "o+r"),
	FILE_BIT(02, "o+w"),
	FILE_BIT(01, "o+x"),
	DIR_BIT(04000, "setuid"),
	DIR_BIT(02000, "setgid"),
	DIR_BIT(01000, "sticky"),
	DIR_BIT(0400, "u+r"),
	DIR_BIT(0200, "u+w"),
	DIR_BIT(0100, "u+x"),
	DIR_BIT(040, "g+r"),
	DIR_BIT(020, "g+w"),
	DIR_BIT(010, "g+x"),
	DIR_BIT(04, "o+r"),
	DIR_BIT(02, "o+w"),
	DIR_BIT(01, "o+x"),
	{ { "mode of the snapshot directory", "0700", "F2" }, step_m_root, 0700, NULL, 0 },
	{ { "mode of the snapshot directory", "02775 (setgid, group-writable)", "F2" },
	  step_m_root,
	  02775,
	  NULL,
	  0 },
	{ { "umask of the fork", "000", "F2" }, step_m_umask, 0, NULL, 0 },
	{ { "umask of the fork", "077", "F2" }, step_m_umask, 077, NULL, 0 },
	{ { "umask of the fork", "0777", "F2" }, step_m_umask, 0777, NULL, 0 },
	{ { "name", "255 bytes (a file)", "F1" }, step_n_long, 0, NULL, 0 },
	{ { "name", "255 bytes (a directory)", "F1" }, step_n_long, 1, NULL, 0 },
	{ { "name", "a newline in it", "F1" }, step_n_name, 1, "new\nline", 0 },
	{ { "name", "leading and trailing spaces", "F1" }, step_n_name, 0, " spaced ", 0 },
	{ { "name", "leading dash", "F1" }, step_n_name, 0, "-rf", 0 },
	{ { "name", "a dotfile at the top", "F1" }, step_n_name, 0, ".hidden", 0 },
	{ { "name", "a dotfile below", "F1" }, step_n_name, 1, ".config", 0 },
	{ { "name", "bytes that are not UTF-8", "F1" }, step_n_name, 1, "bad\xff\xfe", 0 },
	{ { "name", "control characters", "F1" }, step_n_name, 0, "ctl\x01\x1f\t", 0 },
	{ { "name", "shell glob characters", "F1" }, step_n_name, 1, "*?[a]", 0 },
	{ { "name", "quotes, backslash, dollar", "F1" }, step_n_name, 0, "it's \"q\" \\ $HOME", 0 },
	{ { "name", "UTF-8 beyond ASCII", "F1" }, step_n_name, 1, "caf\xc3\xa9-\xe6\x97\xa5", 0 },
	{ { "contract name", "logs/ at the top (skipped)", "F1" },
	  step_n_special,
	  LT_DIR,
	  "logs",
	  0 },
	{ { "contract name", "logs/ below the top (copied)", "F1" },
	  step_n_special,
	  LT_DIR,
	  "vm/logs",
	  0 },
	{ { "contract name", "a regular file named logs at the top (copied)", "F1" },
	  step_n_special,
	  LT_REG,
	  "logs",
	  0 },
	{ { "contract name", "logs look-alikes at the top: logs.old/ (copied)", "F1" },
	  step_n_special,
	  LT_DIR,
	  "logs.old",
	  0 },
	{ { "contract name", "logs look-alikes at the top: Logs/ (copied)", "F1" },
	  step_n_special,
	  LT_DIR,
	  "Logs",
	  0 },
	{ { "contract name", "*.lz4.tmp file at the top (skipped)", "F1" },
	  step_n_special,
	  LT_REG,
	  "memory.lz4.tmp",
	  0 },
	{ { "contract name", "*.zst.tmp file below (skipped)", "F1" },
	  step_n_special,
	  LT_REG,
	  "vm/state.zst.tmp",
	  0 },
	{ { "contract name", "*.zst.tmp directory (copied)", "F1" },
	  step_n_special,
	  LT_DIR,
	  "out.zst.tmp",
	  0 },
	{ { "contract name", "*.tmp look-alikes: x.tmp, x.zst.tmp.1, X.ZST.TMP (copied)", "F1" },
	  step_n_special,
	  LT_REG,
	  "x.zst.tmp.1",
	  0 },
	{ { "contract name", "a plain *.tmp file (copied)", "F1" },
	  step_n_special,
	  LT_REG,
	  "state.tmp",
	  0 },
	{ { "contract name", "a candidate name below the top: a/memory (copied, own inode)",
	    "F3 F1" },
	  step_n_special,
	  LT_REG,
	  "a/memory",
	  0 },
	{ { "contract name", "candidate look-alike at the top: Memory (copied)", "F3" },
	  step_n_special,
	  LT_REG,
	  "Memory",
	  0 },
	{ { "contract name", "candidate look-alike: snapshots/snapshot-old/memory", "F3" },
	  step_n_special,
	  LT_REG,
	  "snapshots/snapshot-old/memory",
	  0 },
	{ { "contract name", "a socket deep in the tree (skipped)", "F1" },
	  step_n_special,
	  LT_SOCK,
	  "run/x/vmm.sock",
	  0 },
	{ { "file size", "0", "F2 F5" }, step_z_file, 0, "0", 0 },
	{ { "file size", "1", "F2 F5" }, step_z_file, 0, "1", 0 },
	{ { "file size", "4095", "F2 F5" }, step_z_file, 0, "4095", 0 },
	{ { "file size", "4097, data to the end", "F2 F5" }, step_z_file, -2, "4097", 0 },
	{ { "file size", "65537, a leading hole", "F2 F5" }, step_z_file, 61440, "65537", 0 },
	{ { "file size", "2^31-1, data at the end", "F2 F5" }, step_z_file, -2, "0x7fffffff", 0 },
	{ { "file size", "2^31+1, data across 2^31", "F2 F5" },
	  step_z_file,
	  0x7fffff00,
	  "0x80000001",
	  0 },
	{ { "file size", "2^32-1, all hole", "F2 F5" }, step_z_file, -1, "0xffffffff", 0 },
	{ { "file size", "2^32+1, data across 2^32", "F2 F5" },
	  step_z_file,
	  0xfffff000,
	  "0x100000001",
	  0 },
	{ { "file size", "2^40, data at the start only", "F2 F5" },
	  step_z_file,
	  0,
	  "0x10000000000",
	  0 },
	{ { "mem-file size", "0 (an empty mem-file)", "F4 F7 F8" }, step_z_mem, 0, "0", 0 },
	{ { "mem-file size", "4096", "F4 F7 F8" }, step_z_mem, 0, "4096", 0 },
	{ { "mem-file size", "2^31+4096", "F4 F7 F8" }, step_z_mem, 0, "0x80001000", 0 },
	{ { "mem-file size", "2^32+4096", "F4 F7 F8" }, step_z_mem, 0, "0x100001000", 0 },
	{ { "mem-file size", "2^40", "F4 F7 F8 F12" }, step_z_mem, 0, "0x10000000000", 0 },
	{ { "mem-file size", "1 GiB, all hole (never touched)", "F4 F5 F7" },
	  step_z_mem,
	  -1,
	  "0x40000000",
	  0 },
	{ { "snapshot kind", "raw at memory-ranges", "F4 F7 F8 F12" },
	  step_k_raw,
	  0,
	  "memory-ranges",
	  0 },
	{ { "snapshot kind", "raw at memory", "F4 F7 F8 F12" }, step_k_raw, 0, "memory", 0 },
	{ { "snapshot kind", "raw at snapshots/snapshot-latest/memory-ranges", "F4 F7 F8" },
	  step_k_raw,
	  0,
	  "snapshots/snapshot-latest/memory-ranges",
	  0 },
	{ { "snapshot kind", "raw at snapshots/snapshot-latest/memory", "F4 F7 F8" },
	  step_k_raw,
	  0,
	  "snapshots/snapshot-latest/memory",
	  0 },
	{ { "snapshot kind", "compressed: memory.zst", "F9 F7 F8" },
	  step_k_compressed,
	  LC_ZSTD,
	  "memory",
	  0 },
	{ { "snapshot kind", "compressed: memory-ranges.lz4", "F9 F7 F8" },
	  step_k_compressed,
	  LC_LZ4,
	  "memory-ranges",
	  0 },
	{ { "snapshot kind", "compressed: snapshots/snapshot-latest/memory-ranges.zst", "F9" },
	  step_k_compressed,
	  LC_ZSTD,
	  "snapshots/snapshot-latest/memory-ranges",
	  0 },
	{ { "snapshot kind", "compressed: snapshots/snapshot-latest/memory.lz4", "F9" },
	  step_k_compressed,
	  LC_LZ4,
	  "snapshots/snapshot-latest/memory",
	  0 },
	{ { "snapshot kind", "two raw candidates (the first wins)", "F3 F4" },
	  step_k_pair,
	  0,
	  NULL,
	  0 },
	{ { "snapshot kind", ".zst and .lz4 of one candidate (.zst wins)", "F9 F1" },
	  step_k_pair,
	  1,
	  NULL,
	  0 },
	{ { "snapshot kind", "raw beside its compressed copy (raw wins)", "F4 F1" },
	  step_k_pair,
	  2,
	  NULL,
	  0 },
	{ { "snapshot kind", "compressed, the raw name taken by a directory", "F9 F1" },
	  step_k_pair,
	  3,
	  NULL,
	  0 },
	{ { "snapshot kind", "first candidate a directory, next one raw", "F4 F1" },
	  step_k_pair,
	  4,
	  NULL,
	  0 },
	{ { "snapshot kind", "first candidate a symlink, a later one raw", "F4 F2" },
	  step_k_pair,
	  5,
	  NULL,
	  0 },
	{ { "snapshot kind", "a socket named memory (no memory)", "F1 F10" },
	  step_k_pair,
	  6,
	  NULL,
	  0 },
	{ { "snapshot kind", "memoryless, names that look like memory", "F10 F1" },
	  step_k_pair,
	  7,
	  NULL,
	  0 },
	{ { "hypervisor layout", "Firecracker, raw, after snapshot cycles", "F1-F12" },
	  step_h_layout,
	  0,
	  NULL,
	  0 },
	{ { "hypervisor layout", "Cloud Hypervisor, raw, after snapshot cycles", "F1-F12" },
	  step_h_layout,
	  1,
	  NULL,
	  0 },
	{ { "hypervisor layout", "QEMU, raw, after snapshot cycles", "F1-F12" },
	  step_h_layout,
	  2,
	  NULL,
	  0 },
	{ { "hypervisor layout", "Firecracker, lz4-compressed only", "F9" },
	  step_h_layout,
	  3,
	  NULL,
	  0 },
	{ { "hypervisor layout", "Cloud Hypervisor, zstd-compressed only", "F9" },
	  step_h_layout,
	  4,
	  NULL,
	  0 },
	{ { "symlink target", "a file beside it", "F2" }, step_s_link, 0, "metadata.json", 0 },
	{ { "symlink target", "a directory", "F2" }, step_s_link, 0, "snapshots", 0 },
	{ { "symlink target", "an absolute path", "F2" }, step_s_link, 0, "/etc/hostname", 0 },
	{ { "symlink target", "nothing (dangling)", "F2" }, step_s_link, 0, "does/not/exist", 0 },
	{ { "symlink target", "outside the snapshot (../..)", "F2 F6" },
	  step_s_link,
	  0,
	  "../../../outside",
	  0 },
	{ { "symlink target", "the mem-file", "F2 F4" }, step_s_link, 0, "memory", 0 },
	{ { "symlink target", "odd bytes: newline, not UTF-8", "F2" },
	  step_s_link,
	  0,
	  "odd\nname\xff",
	  0 },
	{ { "symlink target", "itself (a loop)", "F2" }, step_s_special, 0, NULL, 0 },
	{ { "symlink target", "4000 bytes", "F2" }, step_s_special, 1, NULL, 0 },
	{ { "symlink target", "another symlink (a chain)", "F2" }, step_s_special, 2, NULL, 0 },
	{ { "symlink target", "a socket", "F2 F1" }, step_s_special, 3, NULL, 0 },
	{ { "symlink target", "a FIFO path (never followed)", "F2 F13" },
	  step_s_special,
	  4,
	  NULL,
	  0 },
	{ { "directory shape", "wide: 300 entries", "F1" }, step_d_shape, 0, NULL, 0 },
	{ { "directory shape", "deep: 48 levels", "F1" }, step_d_shape, 1, NULL, 0 },
	{ { "forks at once", "2, released together", "F1-F5 F13" }, step_r_forks, 2, NULL, HOW },
	{ { "forks at once", "4, released together", "F1-F5 F13" }, step_r_forks, 4, NULL, HOW },
	{ { "forks at once", "8, released together", "F1-F5 F13" }, step_r_forks, 8, NULL, HOW },
	{ { "forks at once", "2 into one DST (a race)", "F13 F1" }, step_r_race, 0, NULL, HOW },
	PLACE("paths-quoting", "space, tab, newline, quotes, $, *, backslash, leading -, not UTF-8"),
	PLACE("paths-long", "hundreds of bytes, symlinked ancestors, different parents"),
};

#define NDIMS (sizeof dims / sizeof dims[0])

size_t layout_ndims(void)
{
	return NDIMS;
}

const struct layout_dim *layout_dim(size_t i)
{
	return i < NDIMS ? &dims[i].doc : NULL;
}

int draw_dim(struct draw *d, size_t i)
{
	return i < NDIMS && dims[i].step(d, dims[i].n, dims[i].s) && !d->failed;
}

int draw_dim_is_rare(size_t i)
{
	return i < NDIMS && (dims[i].flags & RARE);
}

int draw_dim_is_how(size_t i)
{
	return i < NDIMS && (dims[i].flags & HOW);
}

int layout_dim_needs_devices(size_t i)
{
	return i < NDIMS && (dims[i].flags & DEVICES);
}

void layout_dims_markdown(void *file)
{
	FILE *f = file;
	fprintf(f, "| dimension | value | rules it exercises |\n|---|---|---|\n");
	for (size_t i = 0; i < NDIMS; i++) {
		fprintf(f, "| %s | ", dims[i].doc.dimension);
		for (const char *c = dims[i].doc.value; *c; c++)
			fputs(*c == '|' ? "\\|" : (char[]){ *c, 0 }, f);
		fprintf(f, " | %s |\n", dims[i].doc.rules);
	}
}
