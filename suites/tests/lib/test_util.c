/* test_util.c - ref/lib/util.c against what it promises: the errno
 * classes exactly as CONTRACT.md lists them (read from it, every errno
 * the C library names), the error path cut with "..." at the report's
 * size, the monotonic clock in nanoseconds, staging names from
 * getrandom (the clock when it fails), a directory stream that starts at
 * the top whatever its descriptor read before. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "testtree.h"

/* getrandom as the test wants it (--wrap): a fixed value, or a failure. */
static int random_mode; /* 0: the real one; 1: fixed; 2: EAGAIN */

ssize_t __real_getrandom(void *buf, size_t n, unsigned flags);
ssize_t __wrap_getrandom(void *buf, size_t n, unsigned flags);
ssize_t __wrap_getrandom(void *buf, size_t n, unsigned flags)
{
	if (random_mode == 1) {
		uint32_t v = 0x5eed1e55;
		memcpy(buf, &v, n < sizeof v ? n : sizeof v);
		return (ssize_t)(n < sizeof v ? n : sizeof v);
	}
	if (random_mode == 2) {
		errno = EAGAIN;
		return -1;
	}
	return __real_getrandom(buf, n, flags);
}

/* fdopendir seen (--wrap): the descriptor it gets must already be
 * close-on-exec (glibc's fdopendir sets the flag, but only then). */
static int fdopendir_fd_cloexec = -1;

DIR *__real_fdopendir(int fd);
DIR *__wrap_fdopendir(int fd);
DIR *__wrap_fdopendir(int fd)
{
	int f = fcntl(fd, F_GETFD);
	fdopendir_fd_cloexec = f >= 0 && (f & FD_CLOEXEC);
	return __real_fdopendir(fd);
}

/* The errnos CONTRACT.md's "Errno classes" lists under the bullet that
 * starts with title: a bit per errno number. */
static void contract_class(const char *title, char in[256])
{
	FILE *f = fopen(SNAPFORK_CONTRACT, "r");
	if (!f)
		fail_msg("%s: %s", SNAPFORK_CONTRACT, strerror(errno));
	char line[1024], text[4096] = "";
	int on = 0, section = 0;
	while (fgets(line, sizeof line, f)) {
		if (!strncmp(line, "## ", 3))
			section = strstr(line, "Errno classes") != NULL;
		if (!section)
			continue;
		if (!strncmp(line, "- ", 2))
			on = strstr(line, title) != NULL;
		if (on && strlen(text) + strlen(line) < sizeof text)
			strcat(text, line);
	}
	fclose(f);
	if (!text[0])
		fail_msg("%s: no \"%s\" in its Errno classes", SNAPFORK_CONTRACT, title);
	memset(in, 0, 256);
	int found = 0;
	for (int e = 1; e < 256; e++) {
		const char *name = strerrorname_np(e);
		char quoted[64];
		if (!name)
			continue;
		snprintf(quoted, sizeof quoted, "`%s`", name);
		if (strstr(text, quoted))
			in[e] = 1, found++;
	}
	if (found < 5)
		fail_msg("%s: only %d errnos under \"%s\"", SNAPFORK_CONTRACT, found, title);
}

static void test_errno_classes_are_the_contracts(void **state)
{
	(void)state;
	char fall[256], link[256];
	contract_class("**Fall back**", fall);
	contract_class("**Link refused**", link);
	fall[ENOTSUP] = fall[EOPNOTSUPP]; /* the same number on Linux */
	for (int e = 0; e < 256; e++) {
		if (sf_errno_fallback(e) != fall[e])
			fail_msg("sf_errno_fallback(%s) is %d, CONTRACT.md says %d",
				 strerrorname_np(e) ? strerrorname_np(e) : "?",
				 sf_errno_fallback(e), fall[e]);
		if (sf_errno_link_fallback(e) != link[e])
			fail_msg("sf_errno_link_fallback(%s) is %d, CONTRACT.md says %d",
				 strerrorname_np(e) ? strerrorname_np(e) : "?",
				 sf_errno_link_fallback(e), link[e]);
	}
}

/* The first failure is kept; a path that does not fit the report is cut
 * to its size with "..." at the end, one that fits is whole. */
static void test_error_path_cut_to_the_report(void **state)
{
	(void)state;
	char path[SNAPFORK_REPORT_PATH + 8];
	for (size_t n = SNAPFORK_REPORT_PATH - 3; n <= SNAPFORK_REPORT_PATH + 2; n++) {
		struct snapfork_report rep;
		memset(&rep, 0x7f, sizeof rep);
		rep.error = 0;
		struct ctx c = { .rep = &rep };
		memset(path, 'a', n);
		path[n] = 0;
		path[0] = 'b';
		path[n - 1] = 'z';
		assert_int_equal(sf_fail_path(&c, -EIO, path, "why"), -EIO);
		assert_int_equal(rep.error, -EIO);
		assert_int_equal(rep.error_side, SNAPFORK_SIDE_ARG);
		assert_string_equal(rep.error_reason, "why");
		if (n < SNAPFORK_REPORT_PATH) {
			assert_string_equal(rep.error_path, path);
		} else {
			assert_int_equal(strlen(rep.error_path), SNAPFORK_REPORT_PATH - 1);
			assert_memory_equal(rep.error_path, path, SNAPFORK_REPORT_PATH - 4);
			assert_string_equal(rep.error_path + SNAPFORK_REPORT_PATH - 4, "...");
		}
		/* The second failure does not overwrite the first. */
		assert_int_equal(sf_fail_rel(&c, -ENOSPC, SNAPFORK_SIDE_DST, "x", "other"),
				 -ENOSPC);
		assert_int_equal(rep.error, -EIO);
		assert_string_equal(rep.error_reason, "why");
	}
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void test_clock_is_monotonic_nanoseconds(void **state)
{
	(void)state;
	for (int i = 0; i < 3; i++) {
		uint64_t a = mono_ns(), t = sf_now_ns(), b = mono_ns();
		if (t < a || t > b)
			fail_msg("sf_now_ns %llu outside [%llu, %llu]", (unsigned long long)t,
				 (unsigned long long)a, (unsigned long long)b);
		struct timespec pause = { 0, 2000000 };
		nanosleep(&pause, NULL);
	}
}

static void test_staging_names_from_getrandom(void **state)
{
	(void)state;
	char name[NAME_MAX + 1], want[NAME_MAX + 1];
	random_mode = 1;
	sf_tmpname("fork", name);
	snprintf(want, sizeof want, ".fork.snapfork-%ld-5eed1e55", (long)getpid());
	assert_string_equal(name, want);
	/* Without getrandom: the clock's low 32 bits, taken during the call. */
	random_mode = 2;
	uint32_t a = (uint32_t)mono_ns();
	sf_tmpname("fork", name);
	uint32_t b = (uint32_t)mono_ns();
	random_mode = 0;
	unsigned got;
	assert_int_equal(sscanf(strrchr(name, '-') + 1, "%8x", &got), 1);
	if ((uint32_t)(got - a) > (uint32_t)(b - a))
		fail_msg("%s: not the clock between %08x and %08x", name, a, b);
	/* A long base is cut to 200 bytes: the name fits NAME_MAX. */
	char base[300];
	memset(base, 'b', sizeof base - 1);
	base[sizeof base - 1] = 0;
	sf_tmpname(base, name);
	assert_true(strlen(name) <= NAME_MAX);
	assert_int_equal(strspn(name + 1, "b"), 200);
	assert_true(sf_stage_is_name(name));
}

/* A stream on a dup of a descriptor whose offset is at the end (a dup
 * shares it) still reads every entry; the dup is close-on-exec. */
static void test_opendir_dup_starts_at_the_top(void **state)
{
	const char *dir = *state;
	for (int i = 0; i < 40; i++) {
		char n[16];
		snprintf(n, sizeof n, "e%d", i);
		tt_text(dir, n, 0644, "x\n");
	}
	int fds = tt_open_fds();
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	for (int pass = 0; pass < 2; pass++) {
		DIR *d;
		fdopendir_fd_cloexec = -1;
		assert_int_equal(sf_opendir_dup(fd, &d), 0);
		assert_int_equal(fdopendir_fd_cloexec, 1); /* before fdopendir, not by it */
		int n = 0;
		struct dirent *de;
		while ((de = readdir(d)))
			n += de->d_name[0] == 'e';
		closedir(d);
		assert_int_equal(n, 40);
	}
	assert_true(fcntl(fd, F_GETFD) >= 0); /* closedir closed the dup only */
	close(fd);
	DIR *d = NULL;
	assert_int_equal(sf_opendir_dup(fd, &d), -EBADF);
	int file = open(tt_p(dir, "e0"), O_RDONLY | O_CLOEXEC);
	assert_int_equal(sf_opendir_dup(file, &d), -ENOTDIR);
	close(file);
	assert_int_equal(tt_open_fds(), fds);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errno_classes_are_the_contracts),
		cmocka_unit_test(test_error_path_cut_to_the_report),
		cmocka_unit_test(test_clock_is_monotonic_nanoseconds),
		cmocka_unit_test(test_staging_names_from_getrandom),
		cmocka_unit_test_setup_teardown(test_opendir_dup_starts_at_the_top,
						tt_scratch_setup, tt_scratch_teardown),
	};
	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
