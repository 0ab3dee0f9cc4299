/* testtree.h - test support: build snapshot trees on disk for the suites.
 * Helpers fail the running cmocka test on any error, naming the path. */
#ifndef SNAPFORK_SFT_H
#define SNAPFORK_SFT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cmocka.h>

/* A data extent: len bytes at off, a pattern seeded by seed. */
struct tt_extent {
	off_t off;
	size_t len;
	unsigned seed;
};

/* A fresh scratch directory under $SNAPFORK_TEST_DIR (default /var/tmp). */
char *tt_scratch(const char *tag);
/* cmocka setup and teardown: *state is a fresh scratch directory named
 * after the test program, removed after. */
int tt_scratch_setup(void **state);
int tt_scratch_teardown(void **state);
/* Remove a tree, making directories writable first; ignores ENOENT. */
void tt_rm_rf(const char *path);
/* dir + "/" + rel, in one of 8 rotating static buffers. */
const char *tt_p(const char *dir, const char *rel);

void tt_mkdir(const char *root, const char *rel, mode_t mode);
/* A chain of n directories "d" below dir; its bottom, opened. */
int tt_chain(const char *dir, int n);
void tt_file(const char *root, const char *rel, mode_t mode, off_t size,
	      const struct tt_extent *ext, size_t n);
void tt_text(const char *root, const char *rel, mode_t mode, const char *text);
void tt_symlink(const char *root, const char *rel, const char *target);
void tt_socket(const char *root, const char *rel);
void tt_fifo(const char *root, const char *rel);
/* Compress root/raw_rel into root/out_rel as a zstd or lz4 frame stream. */
void tt_compress(const char *root, const char *raw_rel, const char *out_rel, int zstd);

/* A Cloud Hypervisor-like raw snapshot: config, state, a sparse mem-file
 * at mem_rel (NULL: memoryless) of mem_size bytes, a sparse disk, logs/,
 * a socket and a symlink. */
void tt_snapshot(const char *root, const char *mem_rel, off_t mem_size);

/* Mount a fresh filesystem of type fs on a loop device (an image of
 * size_mb in $SNAPFORK_TEST_DIR), made with `mkfs.<fs> mkfs_opts`.
 * Returns the mount point, or NULL with the reason in why (not root, no
 * mkfs, the kernel lacks it...).  tt_loopfs_release unmounts, detaches
 * and removes everything, whatever state the test left. */
char *tt_loopfs(const char *fs, const char *mkfs_opts, unsigned size_mb, char *why, size_t len);
void tt_loopfs_release(char *mnt);

/* Where a test works: a fresh scratch directory, or one on a fresh loop
 * filesystem; src is dir/snap (made empty), dst is dir/fork (not made).
 * Used as cmocka state: setup makes it, teardown always removes it (and
 * unmounts), tt_place returns it or skips the test with the reason the
 * filesystem could not be made. */
struct tt_place {
	char *dir, *mnt;
	char src[4096], dst[4096];
	char why[256];
};
int tt_place_setup(void **state, const char *tag);
int tt_place_setup_fs(void **state, const char *fs, const char *mkfs_opts);
int tt_place_teardown(void **state);
struct tt_place *tt_place(void **state);

/* The checker (suites/judge) finds no violation; else fail naming each. */
void tt_verify_ok(const char *src, const char *dst, const char *const *skip);

int tt_exists(const char *path);
uint64_t tt_allocated(const char *path);
/* Number of entries in dir whose name contains needle. */
int tt_count_named(const char *dir, const char *needle);
/* Open fds of this process (for leak checks). */
int tt_open_fds(void);
int tt_is_root(void);
/* In a forked child of root: become uid and gid 65534 (nobody), no
 * supplementary groups, no capabilities; 0, or -1 with errno. */
enum { TT_NOBODY = 65534 };
/* A forked child's end, after it ran library code: _exit (no cmocka, no
 * parent's atexit handlers), its coverage written first in a coverage
 * build, so the per-test map (coverage/testmap.py) sees what it ran. */
void tt_child_exit(int code) __attribute__((noreturn));
int tt_become_nobody(void);

/* The close-on-exec audit (cloexec.c): start remembers the descriptors
 * open without FD_CLOEXEC now (the caller's); check finds any other one
 * (ignore_fd aside, -1: none), describes it in leak and returns -1; the
 * first leak is kept.  128: the writeback window (32) and the walk's
 * depth stay well below. */
#define TT_CLOEXEC_FDS 128
struct tt_cloexec {
	char inherited[TT_CLOEXEC_FDS];
	char leak[256];
};
void tt_cloexec_start(struct tt_cloexec *a);
int tt_cloexec_check(struct tt_cloexec *a, const char *where, int ignore_fd);
/* 1 when pid is no process, or a zombie (killed, not yet reaped). */
int tt_gone(pid_t pid);

#endif
