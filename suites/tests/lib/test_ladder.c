/* test_ladder.c - the copy ladder's errno rules (ref/lib/copy.c,
 * CONTRACT.md "Errno classes") where a real filesystem would not fail on
 * cue: FICLONE, copy_file_range and pread are scripted through --wrap.
 * A method falls back only before it wrote a byte and only for the
 * contract's fall-back errnos; copy_file_range's 0 on the first call is
 * "not supported here"; EINTR and EAGAIN are retried; a source that
 * ends early is EBUSY; anything else fails the file with its errno. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "testtree.h"

/* What the next calls of one kind do, in order; past the script: the
 * real call.  ERR fails with err; ZERO returns 0; SHORT does the real
 * call for at most 4096 bytes. */
enum act { REAL, ERR, ZERO, SHORT };
struct step {
	enum act act;
	int err;
};
struct script {
	struct step steps[8];
	int n, at;
};
static struct script ficlone, range, readp, writep;
static int ficlone_calls;
static int live; /* only sf_copy_fd's calls follow the scripts */

static struct step next(struct script *s)
{
	return live && s->at < s->n ? s->steps[s->at++] : (struct step){ REAL, 0 };
}

int __real_ioctl(int fd, unsigned long req, ...);
int __wrap_ioctl(int fd, unsigned long req, ...);
int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	va_start(ap, req);
	long arg = va_arg(ap, long);
	va_end(ap);
	if (req == FICLONE) {
		ficlone_calls += live;
		struct step s = next(&ficlone);
		if (s.act == ERR) {
			errno = s.err;
			return -1;
		}
	}
	return __real_ioctl(fd, req, arg);
}

ssize_t __real_copy_file_range(int in, off_t *ino, int out, off_t *outo, size_t len,
			       unsigned flags);
ssize_t __wrap_copy_file_range(int in, off_t *ino, int out, off_t *outo, size_t len,
			       unsigned flags);
ssize_t __wrap_copy_file_range(int in, off_t *ino, int out, off_t *outo, size_t len, unsigned flags)
{
	struct step s = next(&range);
	if (s.act == ERR) {
		errno = s.err;
		return -1;
	}
	if (s.act == ZERO)
		return 0;
	return __real_copy_file_range(in, ino, out, outo, s.act == SHORT && len > 4096 ? 4096 : len,
				      flags);
}

ssize_t __real_pread(int fd, void *buf, size_t n, off_t off);
ssize_t __wrap_pread(int fd, void *buf, size_t n, off_t off);
ssize_t __wrap_pread(int fd, void *buf, size_t n, off_t off)
{
	struct step s = next(&readp);
	if (s.act == ERR) {
		errno = s.err;
		return -1;
	}
	if (s.act == ZERO)
		return 0;
	return __real_pread(fd, buf, s.act == SHORT && n > 4096 ? 4096 : n, off);
}

static int seek_data; /* lseek(SEEK_DATA) calls */
static int tamper;    /* fstat after the copy: 1 size, 2 mtime's seconds, 3 its ns, 4 EIO */
static int truncate_err;

int __real_fstat(int fd, struct stat *st);
int __wrap_fstat(int fd, struct stat *st);
int __wrap_fstat(int fd, struct stat *st)
{
	if (live && tamper == 4) {
		errno = EIO;
		return -1;
	}
	int r = __real_fstat(fd, st);
	if (r == 0 && live) {
		st->st_size += tamper == 1;
		st->st_mtim.tv_sec += tamper == 2;
		st->st_mtim.tv_nsec = (st->st_mtim.tv_nsec + (tamper == 3)) % 1000000000;
	}
	return r;
}

int __real_ftruncate(int fd, off_t n);
int __wrap_ftruncate(int fd, off_t n);
int __wrap_ftruncate(int fd, off_t n)
{
	if (live && truncate_err) {
		errno = truncate_err;
		return -1;
	}
	return __real_ftruncate(fd, n);
}

ssize_t __real_pwrite(int fd, const void *buf, size_t n, off_t off);
ssize_t __wrap_pwrite(int fd, const void *buf, size_t n, off_t off);
ssize_t __wrap_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	struct step s = next(&writep);
	if (s.act == ERR) {
		errno = s.err;
		return -1;
	}
	return __real_pwrite(fd, buf, n, off);
}
static int no_buffer; /* malloc of the 1 MiB copy buffer fails */

void *__real_malloc(size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_malloc(size_t n)
{
	if (live && no_buffer && n >= (1u << 20)) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_malloc(n);
}

off_t __real_lseek(int fd, off_t off, int whence);
off_t __wrap_lseek(int fd, off_t off, int whence);
off_t __wrap_lseek(int fd, off_t off, int whence)
{
	seek_data += live && whence == SEEK_DATA;
	return __real_lseek(fd, off, whence);
}

static int setup(void **state)
{
	memset(&ficlone, 0, sizeof ficlone);
	memset(&range, 0, sizeof range);
	memset(&readp, 0, sizeof readp);
	memset(&writep, 0, sizeof writep);
	seek_data = ficlone_calls = tamper = truncate_err = 0;
	no_buffer = 0;
	int r = tt_scratch_setup(state);
	/* 64 KiB of data, no hole: the ladder's one-extent path. */
	tt_file(*state, "src", 0644, 65536, (struct tt_extent[]){ { 0, 65536, 7 } }, 1);
	return r;
}

struct run {
	int r;
	struct sf_copy res;
	off_t size; /* the destination's after the copy */
	int same;   /* its bytes are the source's */
};

/* sf_copy_fd(src -> a new file) with method m and the scripts set. */
/* sf_copy_fd(src -> a new file) with method m and the scripts set, in
 * the fork context c (a fork's copies share it). */
static struct run copy_in(struct ctx *c, const char *dir, enum snapfork_method m)
{
	static int n;
	char name[32];
	snprintf(name, sizeof name, "dst%d", n++);
	int s = open(tt_p(dir, "src"), O_RDONLY | O_CLOEXEC);
	int d = open(tt_p(dir, name), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(s >= 0 && d >= 0);
	struct stat st;
	assert_int_equal(fstat(s, &st), 0);
	struct run out;
	live = 1;
	out.r = sf_copy_fd(c, s, &st, d, m, &out.res);
	live = 0;
	struct stat dst;
	assert_int_equal(fstat(d, &dst), 0);
	out.size = dst.st_size;
	char a[65536], b[65536];
	out.same = dst.st_size == st.st_size && pread(s, a, sizeof a, 0) == (ssize_t)sizeof a &&
		   pread(d, b, sizeof b, 0) == (ssize_t)sizeof b && !memcmp(a, b, sizeof a);
	close(s);
	close(d);
	return out;
}

static struct run copy(const char *dir, enum snapfork_method m)
{
	struct ctx c = { 0 };
	struct run out = copy_in(&c, dir, m);
	free(c.buf);
	return out;
}

#define STEPS(script, ...)                                                                         \
	do {                                                                                       \
		struct step s_[] = { __VA_ARGS__ };                                                \
		memcpy((script).steps, s_, sizeof s_);                                             \
		(script).n = (int)(sizeof s_ / sizeof *s_);                                        \
		(script).at = 0;                                                                   \
	} while (0)

/* FICLONE failing with an errno outside the fall-back class (EIO) fails
 * the file with it; in the class (EXDEV) the next method copies. */
static void test_reflink_errors(void **state)
{
	STEPS(ficlone, { ERR, EIO });
	struct run x = copy(*state, SNAPFORK_METHOD_AUTO);
	assert_int_equal(x.r, -EIO);
	assert_string_equal(x.res.reason, "FICLONE failed");
	assert_int_equal(x.res.side, SNAPFORK_SIDE_SRC);
	STEPS(ficlone, { ERR, EXDEV });
	x = copy(*state, SNAPFORK_METHOD_AUTO);
	assert_int_equal(x.r, 0);
	assert_true(x.same);
	assert_int_equal(x.res.via, SNAPFORK_VIA_RANGE);
	assert_int_equal(x.res.fallback_err, EXDEV);
}

/* copy_file_range before its first byte: a fall-back errno hands over to
 * pread/pwrite, any other fails; its 0 is "not supported" (EOPNOTSUPP). */
static void test_range_before_a_byte(void **state)
{
	STEPS(ficlone, { ERR, EOPNOTSUPP });
	STEPS(range, { ERR, EXDEV });
	struct run x = copy(*state, SNAPFORK_METHOD_AUTO);
	assert_int_equal(x.r, 0);
	assert_true(x.same);
	assert_int_equal(x.res.via, SNAPFORK_VIA_RW);
	assert_int_equal(x.res.fallback_err, EXDEV);

	STEPS(ficlone, { ERR, EOPNOTSUPP });
	STEPS(range, { ERR, EIO });
	x = copy(*state, SNAPFORK_METHOD_AUTO);
	assert_int_equal(x.r, -EIO);
	assert_string_equal(x.res.reason, "copy_file_range failed");

	STEPS(ficlone, { ERR, EOPNOTSUPP });
	STEPS(range, { ZERO, 0 });
	x = copy(*state, SNAPFORK_METHOD_AUTO);
	assert_int_equal(x.r, 0);
	assert_true(x.same);
	assert_int_equal(x.res.via, SNAPFORK_VIA_RW);
	assert_int_equal(x.res.fallback_err, EOPNOTSUPP);

	/* Forced, there is nothing to fall back to: its errno. */
	STEPS(range, { ZERO, 0 });
	x = copy(*state, SNAPFORK_METHOD_RANGE);
	assert_int_equal(x.r, -EOPNOTSUPP);
}

/* After a byte was written nothing falls back (the half-written file is
 * the copy's): a fall-back errno fails the file, a 0 means the source
 * shrank (EBUSY); EINTR and EAGAIN are retried at any point. */
static void test_range_after_a_byte(void **state)
{
	STEPS(ficlone, { ERR, EOPNOTSUPP });
	STEPS(range, { SHORT, 0 }, { ERR, EXDEV });
	struct run x = copy(*state, SNAPFORK_METHOD_AUTO);
	assert_int_equal(x.r, -EXDEV);
	assert_int_equal(x.res.via, SNAPFORK_VIA_RANGE);
	assert_string_equal(x.res.reason, "copy_file_range failed");

	STEPS(ficlone, { ERR, EOPNOTSUPP });
	STEPS(range, { SHORT, 0 }, { ZERO, 0 });
	x = copy(*state, SNAPFORK_METHOD_AUTO);
	assert_int_equal(x.r, -EBUSY);
	assert_string_equal(x.res.reason, "file shrank while being copied");

	STEPS(ficlone, { ERR, EOPNOTSUPP });
	STEPS(range, { ERR, EINTR }, { SHORT, 0 }, { ERR, EAGAIN }, { ERR, EINTR });
	x = copy(*state, SNAPFORK_METHOD_AUTO);
	assert_int_equal(x.r, 0);
	assert_true(x.same);
	assert_int_equal(x.res.via, SNAPFORK_VIA_RANGE);
}

/* pread: EINTR and EAGAIN retried, EIO fails, 0 before the end is a
 * source that shrank (EBUSY), short reads go on; no buffer is ENOMEM. */
static void test_rw_reads(void **state)
{
	STEPS(readp, { ERR, EINTR }, { SHORT, 0 }, { ERR, EAGAIN }, { SHORT, 0 });
	struct run x = copy(*state, SNAPFORK_METHOD_RW);
	assert_int_equal(x.r, 0);
	assert_true(x.same);
	assert_int_equal(x.res.via, SNAPFORK_VIA_RW);
	assert_int_equal(x.res.copied, 65536);

	STEPS(readp, { SHORT, 0 }, { ERR, EIO });
	x = copy(*state, SNAPFORK_METHOD_RW);
	assert_int_equal(x.r, -EIO);
	assert_string_equal(x.res.reason, "read failed");

	STEPS(readp, { SHORT, 0 }, { ZERO, 0 });
	x = copy(*state, SNAPFORK_METHOD_RW);
	assert_int_equal(x.r, -EBUSY);
	assert_string_equal(x.res.reason, "file shrank while being copied");
	assert_int_equal(x.res.side, SNAPFORK_SIDE_SRC);

	/* No memory for the copy buffer: ENOMEM, nothing read. */
	no_buffer = 1;
	x = copy(*state, SNAPFORK_METHOD_RW);
	assert_int_equal(x.r, -ENOMEM);
	assert_int_equal(x.res.copied, 0);
}

/* A file of at most 64 KiB whose blocks are exactly its size has no hole:
 * copied without asking SEEK_DATA (copy.c); one byte more, or a hole,
 * and the extents are asked for. */
static void src_of(const char *dir, off_t size)
{
	unlink(tt_p(dir, "src"));
	tt_file(dir, "src", 0644, size, (struct tt_extent[]){ { 0, (size_t)size, 8 } }, 1);
}

static void test_small_files_skip_the_extent_walk(void **state)
{
	const char *dir = *state;
	static const off_t fast[] = { 1, 4096, 4097, 65535, 65536 };
	for (size_t i = 0; i < sizeof fast / sizeof *fast; i++) {
		src_of(dir, fast[i]);
		struct stat st;
		assert_int_equal(stat(tt_p(dir, "src"), &st), 0);
		if (st.st_blocks * 512 != (fast[i] + 4095) / 4096 * 4096) {
			print_message(
				"the scratch's filesystem allocated %lld bytes to %lld of data: "
				"the no-hole shortcut does not apply there\n",
				(long long)st.st_blocks * 512, (long long)fast[i]);
			skip();
		}
		seek_data = 0;
		struct run x = copy(dir, SNAPFORK_METHOD_RW);
		assert_int_equal(x.r, 0);
		assert_int_equal(x.size, fast[i]);
		if (seek_data != 0)
			fail_msg("%lld bytes, no hole: %d SEEK_DATA calls", (long long)fast[i],
				 seek_data);
	}
	src_of(dir, 65537);
	seek_data = 0;
	struct run x = copy(dir, SNAPFORK_METHOD_RW);
	assert_int_equal(x.r, 0);
	assert_true(x.same);
	assert_true(seek_data > 0);
}

/* FICLONE's "not supported here" (EOPNOTSUPP, ENOTTY) holds for the
 * fork: its later copies (AUTO) do not ask again; another fall-back
 * errno (EXDEV) is about that file only; forced reflink always asks. */
static void test_not_supported_remembered(void **state)
{
	static const int errs[] = { EOPNOTSUPP, ENOTTY, EXDEV };
	for (int i = 0; i < 3; i++) {
		struct ctx c = { 0 };
		ficlone_calls = 0;
		STEPS(ficlone, { ERR, errs[i] }, { ERR, errs[i] }, { ERR, errs[i] });
		struct run x = copy_in(&c, *state, SNAPFORK_METHOD_AUTO);
		assert_int_equal(x.r, 0);
		x = copy_in(&c, *state, SNAPFORK_METHOD_AUTO);
		assert_int_equal(x.r, 0);
		assert_true(x.same);
		assert_int_equal(x.res.via, SNAPFORK_VIA_RANGE);
		int want = errs[i] == EXDEV ? 2 : 1;
		if (ficlone_calls != want)
			fail_msg("FICLONE %s, then another copy: %d FICLONE calls, not %d",
				 strerrorname_np(errs[i]), ficlone_calls, want);
		x = copy_in(&c, *state, SNAPFORK_METHOD_REFLINK);
		assert_int_equal(x.r, -errs[i]);
		assert_int_equal(ficlone_calls, want + 1);
		free(c.buf);
	}
}

/* The source checked after the copy: another size, mtime second or
 * nanosecond is EBUSY (a torn copy); a failed fstat fails the file. */
static void test_source_changed_during_copy(void **state)
{
	for (tamper = 1; tamper <= 4; tamper++) {
		struct run x = copy(*state, SNAPFORK_METHOD_RW);
		assert_int_equal(x.r, tamper == 4 ? -EIO : -EBUSY);
		assert_string_equal(x.res.reason, tamper == 4 ? "fstat failed"
							      : "file changed while being copied");
		assert_int_equal(x.res.side, SNAPFORK_SIDE_SRC);
	}
	tamper = 0;
}

/* Whose side an error is: no space, no quota, too big, read-only, and
 * writing or sizing the copy are the fork's (DST); the rest the
 * snapshot's (SRC). */
static void test_errors_blamed_on_their_side(void **state)
{
	static const int dst_errs[] = { ENOSPC, EDQUOT, EFBIG, EROFS, EIO };
	for (int i = 0; i < 5; i++) {
		STEPS(ficlone, { ERR, EOPNOTSUPP });
		STEPS(range, { SHORT, 0 }, { ERR, dst_errs[i] });
		struct run x = copy(*state, SNAPFORK_METHOD_AUTO);
		assert_int_equal(x.r, -dst_errs[i]);
		if (x.res.side != (dst_errs[i] == EIO ? SNAPFORK_SIDE_SRC : SNAPFORK_SIDE_DST))
			fail_msg("copy_file_range %s: blamed on side %d",
				 strerrorname_np(dst_errs[i]), (int)x.res.side);
	}
	STEPS(writep, { ERR, EIO });
	struct run x = copy(*state, SNAPFORK_METHOD_RW);
	assert_int_equal(x.r, -EIO);
	assert_string_equal(x.res.reason, "write failed");
	assert_int_equal(x.res.side, SNAPFORK_SIDE_DST);
	truncate_err = EIO;
	x = copy(*state, SNAPFORK_METHOD_RW);
	assert_int_equal(x.r, -EIO);
	assert_string_equal(x.res.reason, "ftruncate failed");
	assert_int_equal(x.res.side, SNAPFORK_SIDE_DST);
}

int main(void)
{
#define T(t) cmocka_unit_test_setup_teardown(t, setup, tt_scratch_teardown)
	const struct CMUnitTest tests[] = {
		T(test_reflink_errors),
		T(test_range_before_a_byte),
		T(test_range_after_a_byte),
		T(test_rw_reads),
		T(test_small_files_skip_the_extent_walk),
		T(test_not_supported_remembered),
		T(test_source_changed_during_copy),
		T(test_errors_blamed_on_their_side),
	};
	return cmocka_run_group_tests_name("copy ladder errnos", tests, NULL, NULL);
}
