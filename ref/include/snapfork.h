/* snapfork.h - fork a paused VM's snapshot directory.
 *
 * The one public header of libsnapfork, the reference fork implementation.
 * Every function returns 0 on success or a negative errno; nothing here
 * prints, exits or keeps global state.  See CONTRACT.md for the rules
 * (F1..F13) a fork must satisfy.
 */
#ifndef SNAPFORK_H
#define SNAPFORK_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SNAPFORK_VERSION "0.1.0"

/* The shared library exports these and nothing else. */
#if defined(SNAPFORK_BUILDING) && defined(__GNUC__)
#define SNAPFORK_API __attribute__((visibility("default")))
#else
#define SNAPFORK_API
#endif

/* Longest relative path a report stores; longer ones are cut and end in "...". */
#define SNAPFORK_REPORT_PATH 1024

enum snapfork_flags {
	SNAPFORK_NO_LINK = 1 << 0,     /* copy the raw mem-file instead of hardlinking it */
	SNAPFORK_FSYNC = 1 << 1,       /* fsync files and directories before publishing DST */
	SNAPFORK_MATERIALIZE = 1 << 2, /* decompress a compressed-only mem-file into SRC first */
};

/* How regular files are copied.  AUTO walks the ladder reflink -> range -> rw,
 * per file; the others use that one method only and fail where it cannot work. */
enum snapfork_method {
	SNAPFORK_METHOD_AUTO = 0,
	SNAPFORK_METHOD_REFLINK, /* ioctl(FICLONE): share extents, copy-on-write */
	SNAPFORK_METHOD_RANGE,   /* copy_file_range over SEEK_DATA extents */
	SNAPFORK_METHOD_RW,      /* pread/pwrite over SEEK_DATA extents */
};

enum snapfork_kind {
	SNAPFORK_KIND_MEMORYLESS = 0, /* no memory at all: a plain copy */
	SNAPFORK_KIND_RAW,            /* raw mem-file present: linked */
	SNAPFORK_KIND_COMPRESSED,     /* only <mem>.zst or <mem>.lz4 present */
};

/* How the mem-file got into the fork. */
enum snapfork_via {
	SNAPFORK_VIA_NONE = 0,        /* memoryless snapshot */
	SNAPFORK_VIA_LINK,            /* hardlinked: one inode */
	SNAPFORK_VIA_REFLINK,         /* link refused or off; reflinked */
	SNAPFORK_VIA_RANGE,           /* link refused or off; copy_file_range */
	SNAPFORK_VIA_RW,              /* link refused or off; pread/pwrite */
	SNAPFORK_VIA_DECOMPRESS,      /* raw file decompressed into the fork */
	SNAPFORK_VIA_COMPRESSED_COPY, /* decompression failed; compressed file copied only */
};

struct snapfork_options {
	unsigned flags;              /* enum snapfork_flags */
	enum snapfork_method method; /* SNAPFORK_METHOD_AUTO by default */
	const char *const *skip;     /* NULL-terminated relative paths to leave out, or NULL */
	unsigned max_depth;          /* directory nesting limit; 0 means 1024 */
};

enum snapfork_side {
	SNAPFORK_SIDE_ARG = 0, /* error_path is a path as the caller gave it */
	SNAPFORK_SIDE_SRC,     /* relative to SRC ("" for SRC itself) */
	SNAPFORK_SIDE_DST,     /* relative to DST (built in staging) */
};

/* What a fork did.  Filled as far as the fork got; on failure error,
 * error_path and error_reason say where and why. */
struct snapfork_report {
	enum snapfork_kind kind;
	char mem_path[SNAPFORK_REPORT_PATH];   /* raw mem-file, relative; "" if none */
	char mem_source[SNAPFORK_REPORT_PATH]; /* compressed file it came from; "" if raw */
	enum snapfork_via mem_via;
	int mem_fallback_errno;          /* why link or decompression was not used; 0 if it was */
	const char *mem_fallback_reason; /* static text for the fallback, or NULL */
	uint64_t mem_size;               /* apparent size of the raw mem-file */
	uint64_t dirs, files, symlinks, skipped;
	uint64_t files_reflinked, files_range, files_rw;
	uint64_t bytes_linked;    /* apparent size of the linked mem-file */
	uint64_t bytes_reflinked; /* apparent size of reflinked files */
	uint64_t bytes_copied;    /* data actually moved: holes are not counted */
	uint64_t elapsed_ns;
	int error;                     /* 0 or the negative errno returned */
	enum snapfork_side error_side; /* what error_path is relative to */
	char error_path[SNAPFORK_REPORT_PATH];
	const char *error_reason; /* static text, or NULL when strerror says it all */
};

/* Fork the snapshot directory SRC into DST, which must not exist.  The fork
 * is built in a staging directory beside DST and renamed into place, so DST
 * either appears complete or not at all.  opts and report may be NULL. */
SNAPFORK_API int snapfork_fork(const char *src, const char *dst,
			       const struct snapfork_options *opts, struct snapfork_report *report);

/* The same with paths relative to directory fds (AT_FDCWD allowed). */
SNAPFORK_API int snapfork_fork_at(int src_dirfd, const char *src, int dst_dirfd, const char *dst,
				  const struct snapfork_options *opts,
				  struct snapfork_report *report);

/* If the regular file PATH has st_nlink > 1, replace it by a private copy
 * (holes kept; temp file beside it, renamed over it).  *unshared is set to 1
 * when it did so and 0 when the file had one link already. */
SNAPFORK_API int snapfork_unshare_at(int dirfd, const char *path, int *unshared);

/* What the filesystem holding DIR can do, found by trying each operation in a
 * scratch directory made (and removed) inside DIR.  Each capability is 0 when
 * it works, else the positive errno that stopped it. */
struct snapfork_probe {
	char fstype[32]; /* from statfs f_type, "unknown" if not known */
	uint64_t fs_magic;
	uint64_t alloc_unit; /* statvfs f_frsize */
	int hardlink, reflink, seek_hole, copy_range, rename_noreplace;
	long link_max; /* fpathconf(_PC_LINK_MAX), -1 if unknown */
};
SNAPFORK_API int snapfork_probe_at(int dirfd, const char *dir, struct snapfork_probe *out);

/* Names for the enums, for reports and JSON.  Never NULL. */
SNAPFORK_API const char *snapfork_kind_name(enum snapfork_kind kind);
SNAPFORK_API const char *snapfork_via_name(enum snapfork_via via);
SNAPFORK_API const char *snapfork_method_name(enum snapfork_method method);
/* Parse a method name; 0 or -EINVAL. */
SNAPFORK_API int snapfork_method_parse(const char *name, enum snapfork_method *out);

#ifdef __cplusplus
}
#endif
#endif
