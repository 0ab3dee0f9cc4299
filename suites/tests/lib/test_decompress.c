/* test_decompress.c - sf_decompress_fd (ref/lib/decompress.c) on its own:
 * the raw file gets the stream's bytes with its zero blocks as holes, the
 * compressed file's mode, and its name only if nothing holds it
 * (RENAME_NOREPLACE); a <raw>.tmp already there (a snapshot's own entry)
 * is left as it was; a bad stream is named for its format (a positive
 * errno: the caller falls back); the data is made durable as asked
 * (fsync, writeback or nothing: fsync, sync_file_range and fdatasync
 * counted through --wrap); descriptor 0 is a descriptor; a failed close
 * fails it; the library's own name taken too is EEXIST; nothing is
 * retained after. */
#include <archive.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "judge.h"
#include "testtree.h"
#include "wrapio.h"

static int ranges, no_archive;

/* The reader gives an entry with no data (EOF at once) while set: a
 * reader other than libarchive 3.6's raw one might (--wrap). */
static int empty_entry;

int __real_archive_read_data_block(struct archive *a, const void **buf, size_t *len,
				   la_int64_t *off);
int __wrap_archive_read_data_block(struct archive *a, const void **buf, size_t *len,
				   la_int64_t *off);
int __wrap_archive_read_data_block(struct archive *a, const void **buf, size_t *len,
				   la_int64_t *off)
{
	if (empty_entry)
		return ARCHIVE_EOF;
	return __real_archive_read_data_block(a, buf, len, off);
}

struct archive *__real_archive_read_new(void);
struct archive *__wrap_archive_read_new(void);
struct archive *__wrap_archive_read_new(void)
{
	return no_archive ? NULL : __real_archive_read_new();
}

int __real_fdatasync(int fd);
int __wrap_fdatasync(int fd);
int __wrap_fdatasync(int fd)
{
	ranges++; /* the writeback's wait on btrfs (writeback.c) */
	return __real_fdatasync(fd);
}

int __real_sync_file_range(int fd, off_t off, off_t n, unsigned flags);
int __wrap_sync_file_range(int fd, off_t off, off_t n, unsigned flags);
int __wrap_sync_file_range(int fd, off_t off, off_t n, unsigned flags)
{
	ranges++;
	return __real_sync_file_range(fd, off, n, flags);
}

enum { MEM = 3 << 20 };

/* memory: 3 MiB, data in its first and last 64 KiB; memory.zst and
 * memory.lz4 of it (mode 0751), and junk.zst / junk.lz4 that are not. */
static int setup(void **state)
{
	tt_truncate_err = no_archive = tt_fixed_random = tt_fsync_err = tt_close_err = empty_entry =
		0;
	tt_truncate_audit = NULL;
	int r = tt_scratch_setup(state);
	const char *d = *state;
	tt_file(d, "memory", 0644, MEM,
		(struct tt_extent[]){ { 0, 65536, 3 }, { MEM - 65536, 65536, 4 } }, 2);
	tt_compress(d, "memory", "memory.zst", 1);
	tt_compress(d, "memory", "memory.lz4", 0);
	assert_int_equal(chmod(tt_p(d, "memory.zst"), 0751), 0);
	assert_int_equal(chmod(tt_p(d, "memory.lz4"), 0751), 0);
	tt_text(d, "junk.zst", 0644, "not compressed at all\n");
	tt_text(d, "junk.lz4", 0644, "not compressed at all\n");
	tt_mkdir(d, "out", 0700);
	return r;
}

struct res {
	int r;
	uint64_t size;
	const char *reason;
};

/* Entries in out/ ("." and ".." aside). */
static int in_out(const char *d)
{
	return tt_count_named(tt_p(d, "out"), "") - 2;
}

static struct res decompress(const char *d, const char *src, const char *raw,
			     enum sf_durable durable)
{
	int sfd = open(tt_p(d, src), O_RDONLY | O_CLOEXEC);
	int dir = open(tt_p(d, "out"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(sfd >= 0 && dir >= 0);
	struct res x = { 0, 0, NULL };
	errno = EEXIST; /* a caller's stale errno says nothing of this call */
	x.r = sf_decompress_fd(sfd, src, dir, raw, durable, &x.size, &x.reason);
	close(sfd);
	close(dir);
	return x;
}

/* out/raw is memory, byte for byte, holes where memory has them. */
static void is_memory(const char *d, const char *raw)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/out/%s", d, raw);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, MEM);
	assert_int_equal(st.st_mode & 07777, 0751);
	int a = open(tt_p(d, "memory"), O_RDONLY | O_CLOEXEC), b = open(path, O_RDONLY | O_CLOEXEC);
	char msg[256] = "";
	if (judge_compare_content(a, b, MEM, msg, sizeof msg) != 0)
		fail_msg("%s: %s", raw, msg);
	/* The 3 MiB less 128 KiB are holes: less than half of it allocated,
	 * or no more than memory itself, written with those holes (tmpfs with
	 * huge pages allocates both in whole 2 MiB pages). */
	struct stat mem;
	assert_int_equal(fstat(a, &mem), 0);
	if (st.st_blocks * 512 >= MEM / 2 && st.st_blocks > mem.st_blocks)
		fail_msg("%s: %lld bytes allocated where memory has %lld: holes lost", raw,
			 (long long)st.st_blocks * 512, (long long)mem.st_blocks * 512);
	close(a);
	close(b);
	assert_int_equal(unlink(path), 0);
}

static void test_both_formats(void **state)
{
	const char *d = *state;
	static const char *const srcs[] = { "memory.zst", "memory.lz4" };
	for (int i = 0; i < 2; i++) {
		tt_mode_before_chmod = 07777;
		mode_t mask = umask(0); /* 0600 exactly: no umask hides a bit */
		struct res x = decompress(d, srcs[i], "memory", SF_DURABLE_NONE);
		umask(mask);
		assert_int_equal(x.r, 0);
		if ((tt_mode_before_chmod & 07777) != 0600)
			fail_msg("%s: the raw file was %04o before its fchmod, not 0600", srcs[i],
				 (unsigned)(tt_mode_before_chmod & 07777));
		assert_null(x.reason);
		assert_int_equal(x.size, MEM);
		is_memory(d, "memory");
		assert_int_equal(in_out(d), 0);
	}
}

/* A stream of the wrong format is EBADMSG (positive: fall back), named
 * for the format the suffix promised; nothing is left in out/. */
static void test_bad_streams_named(void **state)
{
	const char *d = *state;
	struct res x = decompress(d, "junk.zst", "junk", SF_DURABLE_NONE);
	assert_int_equal(x.r, EBADMSG);
	assert_string_equal(x.reason, "not a zstd stream");
	x = decompress(d, "junk.lz4", "junk", SF_DURABLE_NONE);
	assert_int_equal(x.r, EBADMSG);
	assert_string_equal(x.reason, "not an lz4 frame stream");
	/* A stream of nothing holds no memory: as bad (libarchive's raw
	 * reader already refuses to start on it). */
	tt_text(d, "empty", 0644, "");
	tt_compress(d, "empty", "empty.zst", 1);
	x = decompress(d, "empty.zst", "empty", SF_DURABLE_NONE);
	assert_int_equal(x.r, EBADMSG);
	assert_non_null(x.reason);
	assert_int_equal(in_out(d), 0);
	/* An entry with no data at all (no reader here gives one): as bad,
	 * never a 0-byte mem-file. */
	empty_entry = 1;
	x = decompress(d, "memory.zst", "memory", SF_DURABLE_NONE);
	empty_entry = 0;
	assert_int_equal(x.r, EBADMSG);
	assert_string_equal(x.reason, "compressed stream holds no memory");
	assert_int_equal(in_out(d), 0);
	/* The right format under the other suffix is as bad. */
	assert_int_equal(rename(tt_p(d, "memory.zst"), tt_p(d, "swapped.lz4")), 0);
	x = decompress(d, "swapped.lz4", "swapped", SF_DURABLE_NONE);
	assert_int_equal(x.r, EBADMSG);
	assert_int_equal(in_out(d), 0);
}

/* A <raw>.tmp of the snapshot's (a file, a symlink) stays as it was; the
 * raw file is written under a name of our own. */
static void test_tmp_name_taken(void **state)
{
	const char *d = *state;
	tt_text(d, "out/memory.tmp", 0644, "the snapshot's own\n");
	struct res x = decompress(d, "memory.zst", "memory", SF_DURABLE_NONE);
	assert_int_equal(x.r, 0);
	is_memory(d, "memory");
	char back[64] = "";
	int fd = open(tt_p(d, "out/memory.tmp"), O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_true(read(fd, back, sizeof back - 1) > 0);
	close(fd);
	assert_string_equal(back, "the snapshot's own\n");
	assert_int_equal(unlink(tt_p(d, "out/memory.tmp")), 0);
	tt_symlink(d, "out/memory.tmp", "../elsewhere");
	x = decompress(d, "memory.lz4", "memory", SF_DURABLE_NONE);
	assert_int_equal(x.r, 0);
	is_memory(d, "memory");
	assert_false(tt_exists(tt_p(d, "elsewhere")));
}

/* The raw name already held (a snapshot entry of that name): EEXIST,
 * what holds it untouched, no temporary left. */
static void test_raw_name_taken(void **state)
{
	const char *d = *state;
	tt_text(d, "out/memory", 0644, "held\n");
	struct res x = decompress(d, "memory.zst", "memory", SF_DURABLE_NONE);
	assert_int_equal(x.r, -EEXIST);
	assert_non_null(x.reason);
	struct stat st;
	assert_int_equal(stat(tt_p(d, "out/memory"), &st), 0);
	assert_int_equal(st.st_size, 5);
	assert_int_equal(in_out(d), 1);
}

/* No reader (out of memory) or no size: the error, nothing left. */
static void test_failures_leave_nothing(void **state)
{
	const char *d = *state;
	no_archive = 1;
	struct res x = decompress(d, "memory.zst", "memory", SF_DURABLE_NONE);
	no_archive = 0;
	assert_int_equal(x.r, -ENOMEM);
	assert_int_equal(in_out(d), 0);
	tt_truncate_err = EFBIG;
	x = decompress(d, "memory.lz4", "memory", SF_DURABLE_NONE);
	tt_truncate_err = 0;
	assert_int_equal(x.r, -EFBIG);
	assert_string_equal(x.reason, "sizing the decompressed mem-file failed");
	assert_int_equal(in_out(d), 0);
}

/* fsync for SF_DURABLE_FSYNC; the writeback's wait (sync_file_range, or
 * fdatasync on btrfs) for SF_DURABLE_WRITEBACK; neither for NONE. */
static void test_durability_as_asked(void **state)
{
	const char *d = *state;
	static const enum sf_durable modes[] = { SF_DURABLE_NONE, SF_DURABLE_WRITEBACK,
						 SF_DURABLE_FSYNC };
	for (int i = 0; i < 3; i++) {
		tt_fsyncs = ranges = 0;
		struct res x = decompress(d, "memory.zst", "memory", modes[i]);
		assert_int_equal(x.r, 0);
		assert_null(x.reason);
		is_memory(d, "memory");
		if ((tt_fsyncs > 0) != (modes[i] == SF_DURABLE_FSYNC))
			fail_msg("durable %d: %d fsync calls", (int)modes[i], tt_fsyncs);
		if (modes[i] == SF_DURABLE_NONE && tt_fsyncs + ranges)
			fail_msg("durable NONE: %d fsync, %d sync_file_range", tt_fsyncs, ranges);
		if (modes[i] == SF_DURABLE_WRITEBACK && !ranges)
			fail_msg("durable WRITEBACK: no sync_file_range or fdatasync");
	}
}

/* With descriptor 0 free the raw file's is 0: it works the same. */
static void test_stdin_closed(void **state)
{
	const char *d = *state;
	int sfd = open(tt_p(d, "memory.zst"), O_RDONLY | O_CLOEXEC);
	int dir = open(tt_p(d, "out"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int saved = fcntl(0, F_DUPFD_CLOEXEC, 10);
	assert_true(sfd >= 0 && dir >= 0 && saved >= 0);
	close(0);
	uint64_t size = 0;
	const char *reason = NULL;
	int fds = tt_open_fds();
	errno = EEXIST; /* stale: descriptor 0 is no failed create */
	int r = sf_decompress_fd(sfd, "memory.zst", dir, "memory", SF_DURABLE_NONE, &size, &reason);
	int after = tt_open_fds();
	assert_int_equal(dup2(saved, 0), 0);
	close(saved);
	close(sfd);
	close(dir);
	assert_int_equal(r, 0);
	assert_int_equal(after, fds);
	is_memory(d, "memory");
	assert_int_equal(in_out(d), 0);
}

/* <raw>.tmp taken and then the library's own name taken too (its
 * random part fixed here): EEXIST, a negative errno (no fallback: the
 * mem-file itself is fine), both names' files as they were; the
 * descriptor it writes through is close-on-exec. */
static void test_own_name_taken(void **state)
{
	const char *d = *state;
	tt_text(d, "out/memory.tmp", 0644, "the snapshot's own\n");
	tt_fixed_random = 1;
	char rel[NAME_MAX + 8];
	/* Its name, written out here: "." BASE ".snapfork-" PID "-" 8 hex. */
	snprintf(rel, sizeof rel, "out/.memory.snapfork-%ld-5e5e5e5e", (long)getpid());
	tt_text(d, rel, 0644, "someone else's\n");
	struct res x = decompress(d, "memory.zst", "memory", SF_DURABLE_NONE);
	assert_int_equal(x.r, -EEXIST);
	assert_string_equal(x.reason, "creating the decompressed mem-file failed");
	assert_int_equal(in_out(d), 2);
	struct stat st;
	assert_int_equal(stat(tt_p(d, rel), &st), 0);
	assert_int_equal(st.st_size, 15);
	assert_int_equal(stat(tt_p(d, "out/memory.tmp"), &st), 0);
	assert_int_equal(st.st_size, 19);
	/* Its own name free: the raw file goes there, close-on-exec. */
	assert_int_equal(unlink(tt_p(d, rel)), 0);
	struct tt_cloexec a;
	tt_cloexec_start(&a);
	tt_truncate_audit = &a;
	tt_mode_before_chmod = 07777;
	mode_t mask = umask(0);
	x = decompress(d, "memory.zst", "memory", SF_DURABLE_NONE);
	umask(mask);
	tt_truncate_audit = NULL;
	assert_int_equal(x.r, 0);
	assert_int_equal(tt_mode_before_chmod & 07777, 0600);
	if (a.leak[0])
		fail_msg("%s", a.leak);
	is_memory(d, "memory");
	assert_int_equal(in_out(d), 1);
}

/* The raw file's close failing (EIO at close: NFS, or a full disk
 * written back late) fails the decompression; no raw file, no temporary. */
static void test_close_failing(void **state)
{
	const char *d = *state;
	int sfd = open(tt_p(d, "memory.lz4"), O_RDONLY | O_CLOEXEC);
	int dir = open(tt_p(d, "out"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(sfd >= 0 && dir >= 0);
	uint64_t size = 0;
	const char *reason = NULL;
	tt_close_err = EIO;
	int r = sf_decompress_fd(sfd, "memory.lz4", dir, "memory", SF_DURABLE_NONE, &size, &reason);
	tt_close_err = 0;
	close(sfd);
	close(dir);
	assert_int_equal(r, -EIO);
	assert_int_equal(in_out(d), 0);
}

/* Ten decompressions retain no memory (libarchive's reader is freed). */
static void test_nothing_retained(void **state)
{
	const char *d = *state;
#if defined(__SANITIZE_ADDRESS__)
	print_message("skipped: ASan's allocator is not malloc's (its leak check covers this)\n");
	skip();
#endif
	struct res x = decompress(d, "memory.lz4", "memory", SF_DURABLE_NONE);
	assert_int_equal(x.r, 0);
	is_memory(d, "memory");
	size_t before = mallinfo2().uordblks;
	for (int i = 0; i < 10; i++) {
		x = decompress(d, i % 2 ? "memory.lz4" : "memory.zst", "memory", SF_DURABLE_NONE);
		assert_int_equal(x.r, 0);
		assert_int_equal(unlink(tt_p(d, "out/memory")), 0);
	}
	size_t after = mallinfo2().uordblks;
	if (after > before + 65536)
		fail_msg("%zu bytes more in use after 10 decompressions", after - before);
}

int main(void)
{
#define T(t) cmocka_unit_test_setup_teardown(t, setup, tt_scratch_teardown)
	const struct CMUnitTest tests[] = {
		T(test_both_formats),     T(test_bad_streams_named),      T(test_tmp_name_taken),
		T(test_raw_name_taken),   T(test_durability_as_asked),    T(test_stdin_closed),
		T(test_nothing_retained), T(test_failures_leave_nothing), T(test_own_name_taken),
		T(test_close_failing),
	};
	return cmocka_run_group_tests_name("decompress", tests, NULL, NULL);
}
