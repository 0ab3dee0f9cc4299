/* test_kinds.c - compressed-only (zstd, lz4), memoryless and materialized
 * snapshots (CONTRACT.md F9, F10). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "judge.h"
#include "testtree.h"
#include "snapfork.h"

static int setup(void **state)
{
	return tt_place_setup(state, "kinds");
}

/* A compressed-only snapshot: build the raw file, compress it, drop it. */
static void compressed_snapshot(struct tt_place *t, const char *raw, int zstd)
{
	char out[128];
	tt_snapshot(t->src, raw, (off_t)256 << 20);
	snprintf(out, sizeof out, "%s%s", raw, zstd ? ".zst" : ".lz4");
	tt_compress(t->src, raw, out, zstd);
	/* Keep the raw bytes aside to compare against. */
	assert_int_equal(rename(tt_p(t->src, raw), tt_p(t->dir, "raw-reference")), 0);
}

static void check_decompressed(struct tt_place *t, const char *raw)
{
	int a = open(tt_p(t->dir, "raw-reference"), O_RDONLY);
	int b = open(tt_p(t->dst, raw), O_RDONLY);
	assert_true(a >= 0 && b >= 0);
	struct stat sa, sb;
	assert_int_equal(fstat(a, &sa), 0);
	assert_int_equal(fstat(b, &sb), 0);
	assert_int_equal(sa.st_size, sb.st_size);
	char msg[256];
	if (judge_compare_content(a, b, sa.st_size, msg, sizeof msg))
		fail_msg("%s: %s", raw, msg);
	/* All-zero blocks became holes: allocation is that of the data. */
	assert_true(sb.st_blocks <= sa.st_blocks);
	close(a);
	close(b);
}

static void test_F9_compressed_zstd(void **state)
{
	struct tt_place *t = tt_place(state);
	compressed_snapshot(t, "memory-ranges", 1);
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	assert_int_equal(snapfork_fork(t->src, t->dst, NULL, &rep), 0);
	assert_int_equal(rep.kind, SNAPFORK_KIND_COMPRESSED);
	assert_int_equal(rep.mem_via, SNAPFORK_VIA_DECOMPRESS);
	assert_string_equal(rep.mem_path, "memory-ranges");
	assert_string_equal(rep.mem_source, "memory-ranges.zst");
	assert_int_equal(rep.mem_size, (uint64_t)256 << 20);
	check_decompressed(t, "memory-ranges");
	assert_false(tt_exists(tt_p(t->dst, "memory-ranges.tmp")));
	tt_verify_ok(t->src, t->dst, NULL);
}

static void test_F9_compressed_lz4_nested(void **state)
{
	struct tt_place *t = tt_place(state);
	compressed_snapshot(t, "snapshots/snapshot-latest/memory", 0);
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	assert_int_equal(snapfork_fork(t->src, t->dst, NULL, &rep), 0);
	assert_int_equal(rep.kind, SNAPFORK_KIND_COMPRESSED);
	assert_int_equal(rep.mem_via, SNAPFORK_VIA_DECOMPRESS);
	check_decompressed(t, "snapshots/snapshot-latest/memory");
	tt_verify_ok(t->src, t->dst, NULL);
}

static void test_F9_corrupt_stream_falls_back_to_compressed_copy(void **state)
{
	struct tt_place *t = tt_place(state);
	compressed_snapshot(t, "memory", 1);
	/* Truncate the stream halfway: decoding must fail, and the fork must
	 * keep only the byte-identical compressed file, never a torn raw one. */
	struct stat st;
	assert_int_equal(stat(tt_p(t->src, "memory.zst"), &st), 0);
	assert_int_equal(truncate(tt_p(t->src, "memory.zst"), st.st_size / 2), 0);
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	assert_int_equal(snapfork_fork(t->src, t->dst, NULL, &rep), 0);
	assert_int_equal(rep.mem_via, SNAPFORK_VIA_COMPRESSED_COPY);
	assert_int_equal(rep.mem_fallback_errno, EBADMSG);
	assert_non_null(rep.mem_fallback_reason);
	assert_false(tt_exists(tt_p(t->dst, "memory")));
	assert_false(tt_exists(tt_p(t->dst, "memory.tmp")));
	assert_true(tt_exists(tt_p(t->dst, "memory.zst")));
	tt_verify_ok(t->src, t->dst, NULL);
}

static void test_F9_not_really_compressed_falls_back(void **state)
{
	struct tt_place *t = tt_place(state);
	tt_text(t->src, "memory.lz4", 0600, "plain text, not an lz4 frame");
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	assert_int_equal(snapfork_fork(t->src, t->dst, NULL, &rep), 0);
	assert_int_equal(rep.kind, SNAPFORK_KIND_COMPRESSED);
	assert_int_equal(rep.mem_via, SNAPFORK_VIA_COMPRESSED_COPY);
	assert_false(tt_exists(tt_p(t->dst, "memory")));
	tt_verify_ok(t->src, t->dst, NULL);
}

static void test_F10_memoryless(void **state)
{
	struct tt_place *t = tt_place(state);
	tt_snapshot(t->src, NULL, 0);
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	assert_int_equal(snapfork_fork(t->src, t->dst, NULL, &rep), 0);
	assert_int_equal(rep.kind, SNAPFORK_KIND_MEMORYLESS);
	assert_int_equal(rep.mem_via, SNAPFORK_VIA_NONE);
	assert_string_equal(rep.mem_path, "");
	tt_verify_ok(t->src, t->dst, NULL);
}

static void test_materialize_then_link(void **state)
{
	struct tt_place *t = tt_place(state);
	compressed_snapshot(t, "memory", 1);
	struct snapfork_options o = { .size = sizeof o, .flags = SNAPFORK_MATERIALIZE };
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	assert_int_equal(snapfork_fork(t->src, t->dst, &o, &rep), 0);
	/* The snapshot now holds the raw file, and the fork links it. */
	assert_int_equal(rep.kind, SNAPFORK_KIND_RAW);
	assert_int_equal(rep.mem_via, SNAPFORK_VIA_LINK);
	assert_true(tt_exists(tt_p(t->src, "memory")));
	assert_false(tt_exists(tt_p(t->src, "memory.tmp")));
	check_decompressed(t, "memory");
	tt_verify_ok(t->src, t->dst, NULL);
}

/* A stream of nothing (an empty raw file compressed, or an empty file)
 * is not a memory: the fork keeps the compressed file, says why. */
static void test_F9_empty_streams_fall_back(void **state)
{
	struct tt_place *t = tt_place(state);
	tt_text(t->src, "config.json", 0600, "{}");
	tt_text(t->src, "memory", 0600, "");
	tt_compress(t->src, "memory", "memory.zst", 1);
	unlink(tt_p(t->src, "memory"));
	for (int i = 0; i < 2; i++) {
		struct snapfork_report rep = SNAPFORK_REPORT_INIT;
		assert_int_equal(snapfork_fork(t->src, t->dst, NULL, &rep), 0);
		assert_int_equal(rep.mem_via, SNAPFORK_VIA_COMPRESSED_COPY);
		assert_int_equal(rep.mem_fallback_errno, EBADMSG);
		assert_non_null(rep.mem_fallback_reason);
		tt_verify_ok(t->src, t->dst, NULL);
		tt_rm_rf(t->dst);
		/* Then an empty file named like an lz4 stream. */
		if (i == 0) {
			unlink(tt_p(t->src, "memory.zst"));
			tt_text(t->src, "memory.lz4", 0600, "");
		}
	}
}

/* "<raw>.tmp" is the snapshot's own file: decompression picks a name
 * of its own, and the fork keeps both. */
static void test_F9_tmp_name_taken(void **state)
{
	struct tt_place *t = tt_place(state);
	compressed_snapshot(t, "memory", 1);
	tt_text(t->src, "memory.tmp", 0600, "the snapshot's");
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	assert_int_equal(snapfork_fork(t->src, t->dst, NULL, &rep), 0);
	assert_int_equal(rep.mem_via, SNAPFORK_VIA_DECOMPRESS);
	check_decompressed(t, "memory");
	assert_int_equal(tt_count_named(t->dst, ".snapfork-"), 0);
	tt_verify_ok(t->src, t->dst, NULL);
}

/* --materialize with a bad stream: refused, named, snapshot unchanged. */
static void test_materialize_bad_stream_refused(void **state)
{
	struct tt_place *t = tt_place(state);
	tt_text(t->src, "memory.zst", 0600, "not a zstd frame at all");
	struct snapfork_options o = { .size = sizeof o, .flags = SNAPFORK_MATERIALIZE };
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	assert_int_equal(snapfork_fork(t->src, t->dst, &o, &rep), -EBADMSG);
	assert_string_equal(rep.error_path, "memory.zst");
	assert_non_null(rep.error_reason);
	assert_false(tt_exists(t->dst));
	assert_false(tt_exists(tt_p(t->src, "memory")));
	assert_false(tt_exists(tt_p(t->src, "memory.tmp")));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, tt_place_teardown)
	const struct CMUnitTest tests[] = {
		T(test_F9_compressed_zstd),
		T(test_F9_compressed_lz4_nested),
		T(test_F9_corrupt_stream_falls_back_to_compressed_copy),
		T(test_F9_not_really_compressed_falls_back),
		T(test_F10_memoryless),
		T(test_materialize_then_link),
		T(test_F9_empty_streams_fall_back),
		T(test_F9_tmp_name_taken),
		T(test_materialize_bad_stream_refused),
	};
	return cmocka_run_group_tests_name("snapshot kinds", tests, NULL, NULL);
}
