/* test_classify.c - the skip and refuse rules of CONTRACT.md, one entry at
 * a time (sf_classify is pure). */
#include <errno.h>
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

/* The stable names reports and JSON use, and the method parser. */
static void test_enum_names_are_stable(void **state)
{
	(void)state;
	assert_string_equal(snapfork_kind_name(SNAPFORK_KIND_MEMORYLESS), "memoryless");
	assert_string_equal(snapfork_kind_name(SNAPFORK_KIND_RAW), "raw");
	assert_string_equal(snapfork_kind_name(SNAPFORK_KIND_COMPRESSED), "compressed");
	assert_string_equal(snapfork_kind_name((enum snapfork_kind)99), "unknown");
	static const char *const via[] = { "none", "link",       "reflink",        "range",
					   "rw",   "decompress", "compressed-copy" };
	for (int i = 0; i < 7; i++)
		assert_string_equal(snapfork_via_name((enum snapfork_via)i), via[i]);
	assert_string_equal(snapfork_via_name((enum snapfork_via)99), "unknown");
	static const char *const m[] = { "auto", "reflink", "range", "rw" };
	for (int i = 0; i < 4; i++) {
		enum snapfork_method out;
		assert_string_equal(snapfork_method_name((enum snapfork_method)i), m[i]);
		assert_int_equal(snapfork_method_parse(m[i], &out), 0);
		assert_int_equal(out, i);
	}
	enum snapfork_method out = SNAPFORK_METHOD_RW;
	assert_int_equal(snapfork_method_parse("copy", &out), -EINVAL);
	assert_int_equal(out, SNAPFORK_METHOD_RW); /* untouched on failure */
	assert_string_equal(snapfork_method_name((enum snapfork_method)99), "unknown");
	/* One past the last of each: the first value with no name. */
	assert_string_equal(snapfork_method_name((enum snapfork_method)4), "unknown");
	assert_string_equal(snapfork_via_name((enum snapfork_via)7), "unknown");
	assert_string_equal(snapfork_method_name((enum snapfork_method) - 1), "unknown");
}

static void test_unknown_file_type_is_refused(void **state)
{
	(void)state;
	const char *reason = NULL;
	assert_int_equal(sf_classify(0, "odd", 0170000, &reason), SF_REFUSE);
	assert_non_null(reason);
}

/* The caller's skip list: one matcher for the walk and the mem-file
 * lookup, by whole path components. */
static void test_skip_list_matches_whole_components(void **state)
{
	(void)state;
	const char *const skip[] = { "a", "snapshots/snapshot-latest", NULL };
	assert_true(sf_skip_listed(skip, "a"));
	assert_true(sf_skip_listed(skip, "a/b/c"));
	assert_false(sf_skip_listed(skip, "ab"));
	assert_false(sf_skip_listed(skip, "b/a"));
	assert_true(sf_skip_listed(skip, "snapshots/snapshot-latest/memory"));
	assert_false(sf_skip_listed(skip, "snapshots"));
	assert_false(sf_skip_listed(skip, "snapshots/snapshot-latest-2"));
	assert_false(sf_skip_listed(NULL, "a"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_skip_top_level_logs_dir_only),
		cmocka_unit_test(test_skip_sockets_anywhere),
		cmocka_unit_test(test_skip_tmp_compression_files_not_dirs),
		cmocka_unit_test(test_refuse_fifo_and_devices),
		cmocka_unit_test(test_copy_ordinary_types),
		cmocka_unit_test(test_enum_names_are_stable),
		cmocka_unit_test(test_unknown_file_type_is_refused),
		cmocka_unit_test(test_skip_list_matches_whole_components),
	};
	return cmocka_run_group_tests_name("classify (skip rules)", tests, NULL, NULL);
}
