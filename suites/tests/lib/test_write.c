/* test_write.c - ref/lib/write.c: sf_pwrite_full goes on after short
 * writes and EINTR/EAGAIN, fails with the errno otherwise and with EIO
 * when a write takes nothing; sf_write_sparse writes every byte of data
 * and leaves every all-zero 4 KiB block of the file's grid a hole, each
 * run of data blocks in one write.  pwrite is scripted or counted through
 * --wrap; holes are read back with SEEK_DATA. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "testtree.h"

enum act { REAL, ERR, ZERO, SHORT };
static struct {
	enum act act[8];
	int err[8];
	int n, at;
} script;
static int writes; /* pwrite calls that reached the file */

ssize_t __real_pwrite(int fd, const void *buf, size_t n, off_t off);
ssize_t __wrap_pwrite(int fd, const void *buf, size_t n, off_t off);
ssize_t __wrap_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	enum act a = script.at < script.n ? script.act[script.at] : REAL;
	int err = script.at < script.n ? script.err[script.at] : 0;
	script.at += script.at < script.n;
	if (a == ERR) {
		errno = err;
		return -1;
	}
	if (a == ZERO) {
		errno = EBADF; /* a stale errno: 0 bytes must not be read as it */
		return 0;
	}
	writes++;
	return __real_pwrite(fd, buf, a == SHORT && n > 100 ? 100 : n, off);
}

static void plan(int n, const enum act *act, const int *err)
{
	for (int i = 0; i < n; i++) {
		script.act[i] = act[i];
		script.err[i] = err[i];
	}
	script.n = n;
	script.at = 0;
	writes = 0;
}

static int fresh(const char *dir, off_t size)
{
	static int k;
	char name[32];
	snprintf(name, sizeof name, "f%d", k++);
	int fd = open(tt_p(dir, name), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, size), 0);
	return fd;
}

static void test_pwrite_full(void **state)
{
	const char *dir = *state;
	char buf[1000];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (char)(i * 7 + 1);
	int fd = fresh(dir, 0);
	/* Short, EINTR, short, EAGAIN, then the rest: all of it, in place. */
	plan(4, (enum act[]){ SHORT, ERR, SHORT, ERR }, (int[]){ 0, EINTR, 0, EAGAIN });
	assert_int_equal(sf_pwrite_full(fd, buf, sizeof buf, 5000), 0);
	char back[1000];
	assert_int_equal(pread(fd, back, sizeof back, 5000), (ssize_t)sizeof back);
	assert_memory_equal(back, buf, sizeof buf);
	assert_int_equal(writes, 3);
	/* Any other errno fails; a write of nothing is EIO. */
	plan(2, (enum act[]){ SHORT, ERR }, (int[]){ 0, ENOSPC });
	assert_int_equal(sf_pwrite_full(fd, buf, sizeof buf, 0), -ENOSPC);
	plan(2, (enum act[]){ SHORT, ZERO }, (int[]){ 0, 0 });
	assert_int_equal(sf_pwrite_full(fd, buf, sizeof buf, 0), -EIO);
	plan(0, NULL, NULL);
	assert_int_equal(sf_pwrite_full(fd, buf, 0, 0), 0);
	assert_int_equal(writes, 0);
	close(fd);
}

/* Write buf at off into a fresh file of off + len bytes; check it reads
 * back whole, that each 4 KiB block of the grid that buf leaves all zero
 * is a hole, and that each run of data blocks took one write. */
static void sparse_case(const char *dir, const char *buf, size_t len, off_t off, const char *what)
{
	off_t size = off + (off_t)len;
	int fd = fresh(dir, size);
	plan(0, NULL, NULL);
	assert_int_equal(sf_write_sparse(fd, buf, len, off), 0);
	char *back = malloc(len + 1);
	assert_int_equal(pread(fd, back, len, off), (ssize_t)len);
	if (memcmp(back, buf, len) != 0)
		fail_msg("%s: the data read back differs", what);
	free(back);
	int runs = 0, in_run = 0;
	for (off_t b = off / 4096 * 4096; b < size; b += 4096) {
		off_t from = b < off ? off : b, to = b + 4096 < size ? b + 4096 : size;
		int zero = 1;
		for (off_t x = from; x < to; x++)
			zero &= buf[x - off] == 0;
		runs += !zero && !in_run;
		in_run = !zero;
		off_t data = lseek(fd, b, SEEK_DATA);
		if (zero && data >= 0 && data < to)
			fail_msg("%s: the block at %lld is all zero but holds data", what,
				 (long long)b);
	}
	if (writes != runs)
		fail_msg("%s: %d writes for %d runs of data blocks", what, writes, runs);
	close(fd);
}

static void test_sparse_writes(void **state)
{
	const char *dir = *state;
	enum { LEN = 5 * 4096 };
	/* Holes of 4 KiB: a byte at 0 of an 8 KiB file leaves 4096.. a hole.
	 * Not so on a filesystem without holes, nor on tmpfs with huge=always,
	 * whose 2 MiB page makes the whole file data. */
	plan(0, NULL, NULL);
	int probe = fresh(dir, 8192);
	off_t d = pwrite(probe, "x", 1, 0) == 1 ? lseek(probe, 4096, SEEK_DATA) : -2;
	close(probe);
	if (d != -1 || errno != ENXIO) {
		print_message("the scratch's filesystem keeps no 4 KiB holes (SEEK_DATA at 4096 "
			      "after a byte at 0: %lld): set SNAPFORK_TEST_DIR to ext4, xfs, "
			      "btrfs or tmpfs without huge pages\n",
			      (long long)d);
		skip();
	}
	char *buf = calloc(1, LEN);
	static const off_t offs[] = { 0, 1, 4095, 4096, 8191 };
	char what[96];
	for (size_t o = 0; o < sizeof offs / sizeof *offs; o++) {
		off_t off = offs[o];
		memset(buf, 0, LEN);
		snprintf(what, sizeof what, "all zero at %lld", (long long)off);
		sparse_case(dir, buf, LEN, off, what);
		/* One non-zero byte in turn at each block's first, middle and
		 * last byte (of the grid), alone. */
		for (size_t at = 0; at < LEN; at++) {
			size_t g = (size_t)((off + (off_t)at) % 4096);
			if (g != 0 && g != 2048 && g != 4095)
				continue;
			memset(buf, 0, LEN);
			buf[at] = 'x';
			snprintf(what, sizeof what, "one byte at %zu of %d, file offset %lld", at,
				 (int)LEN, (long long)off);
			sparse_case(dir, buf, LEN, off, what);
		}
		/* Data, a hole, data over two blocks, a hole: two writes. */
		memset(buf, 0, LEN);
		memset(buf, 'a', 100);
		memset(buf + 2 * 4096 + 10, 'b', 4096);
		snprintf(what, sizeof what, "two runs at %lld", (long long)off);
		sparse_case(dir, buf, LEN, off, what);
		/* Short lengths: 1, a block less one, a block. */
		static const size_t lens[] = { 1, 4095, 4096 };
		for (size_t l = 0; l < sizeof lens / sizeof *lens; l++) {
			memset(buf, 'c', lens[l]);
			snprintf(what, sizeof what, "%zu bytes at %lld", lens[l], (long long)off);
			sparse_case(dir, buf, lens[l], off, what);
		}
	}
	free(buf);
	/* A failing write fails it with the errno. */
	int fd = fresh(dir, 8192);
	char data[100];
	memset(data, 'd', sizeof data);
	plan(1, (enum act[]){ ERR }, (int[]){ EIO });
	assert_int_equal(sf_write_sparse(fd, data, sizeof data, 0), -EIO);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pwrite_full, tt_scratch_setup,
						tt_scratch_teardown),
		cmocka_unit_test_setup_teardown(test_sparse_writes, tt_scratch_setup,
						tt_scratch_teardown),
	};
	return cmocka_run_group_tests_name("writes", tests, NULL, NULL);
}
