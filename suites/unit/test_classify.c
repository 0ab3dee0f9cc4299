/* test_classify.c - the skip and refuse rules of CONTRACT.md, one entry at
 * a time (sf_classify is pure). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "internal.h"

static enum sf_class cls(unsigned depth, const char *name, mode_t type)
{
	const char *reason;
	return sf_classify(depth, name, type | 0644, &reason);
}

static void test_skip_top_level_logs_dir_only(void **state)
{
	(void)state;
	assert_int_equal(cls(0, "logs", S_IFDIR), SF_SKIP);
	assert_int_equal(cls(1, "logs", S_IFDIR), SF_COPY); /* a/logs/ is data */
	assert_int_equal(cls(0, "logs", S_IFREG), SF_COPY); /* a file named logs */
	assert_int_equal(cls(0, "logs", S_IFLNK), SF_COPY);
	assert_int_equal(cls(0, "logs2", S_IFDIR), SF_COPY);
	assert_int_equal(cls(0, "Logs", S_IFDIR), SF_COPY);
}

static void test_skip_sockets_anywhere(void **state)
{
	(void)state;
	assert_int_equal(cls(0, "vsock.sock", S_IFSOCK), SF_SKIP);
	assert_int_equal(cls(7, "api", S_IFSOCK), SF_SKIP);
}

static void test_skip_tmp_compression_files_not_dirs(void **state)
{
	(void)state;
	assert_int_equal(cls(0, "memory.lz4.tmp", S_IFREG), SF_SKIP);
	assert_int_equal(cls(3, "memory-ranges.zst.tmp", S_IFREG), SF_SKIP);
	assert_int_equal(cls(0, ".zst.tmp", S_IFREG), SF_SKIP);
	assert_int_equal(cls(0, "memory.lz4.tmp", S_IFDIR), SF_COPY);
	assert_int_equal(cls(0, "memory.zst.tmp", S_IFLNK), SF_COPY);
	assert_int_equal(cls(0, "memory.tmp", S_IFREG), SF_COPY);
	assert_int_equal(cls(0, "memory.zst", S_IFREG), SF_COPY);
	assert_int_equal(cls(0, "memory.zst.tmp.bak", S_IFREG), SF_COPY);
	assert_int_equal(cls(0, "zst.tmp", S_IFREG), SF_COPY);
}

static void test_refuse_fifo_and_devices(void **state)
{
	(void)state;
	const char *reason = NULL;
	assert_int_equal(sf_classify(2, "pipe", S_IFIFO | 0600, &reason), SF_REFUSE);
	assert_non_null(reason);
	assert_int_equal(cls(0, "null", S_IFCHR), SF_REFUSE);
	assert_int_equal(cls(0, "sda", S_IFBLK), SF_REFUSE);
}

static void test_copy_ordinary_types(void **state)
{
	(void)state;
	assert_int_equal(cls(0, "memory", S_IFREG), SF_COPY);
	assert_int_equal(cls(0, "snapshots", S_IFDIR), SF_COPY);
	assert_int_equal(cls(0, "memory", S_IFLNK), SF_COPY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_skip_top_level_logs_dir_only),
		cmocka_unit_test(test_skip_sockets_anywhere),
		cmocka_unit_test(test_skip_tmp_compression_files_not_dirs),
		cmocka_unit_test(test_refuse_fifo_and_devices),
		cmocka_unit_test(test_copy_ordinary_types),
	};
	return cmocka_run_group_tests_name("classify (skip rules)", tests, NULL, NULL);
}
