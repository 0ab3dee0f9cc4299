/* test_abi.c - the size rule of the public structs, in the library itself
 * (install_test.sh checks the same from an installed caller): older and
 * newer callers work, unknown fields set are -E2BIG, sizes below the
 * first version's -EINVAL, and no byte past the caller's size is written;
 * then abi.c's two copies byte by byte (white-box). */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "internal.h"
#include "snapfork.h"
#include "testtree.h"

struct options_v2 {
	struct snapfork_options v1;
	uint32_t future;
};

static void test_newer_caller_with_unknown_field_set_is_refused(void **state)
{
	struct tt_place *t = tt_place(state);
	tt_snapshot(t->src, "memory", (off_t)64 << 20);
	struct options_v2 o;
	memset(&o, 0, sizeof o);
	o.v1.size = sizeof o;
	o.future = 7;
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	rep.kind = SNAPFORK_KIND_COMPRESSED; /* must stay: the report is untouched */
	assert_int_equal(snapfork_fork(t->src, t->dst, &o.v1, &rep), -E2BIG);
	assert_int_equal(rep.kind, SNAPFORK_KIND_COMPRESSED);
	assert_false(tt_exists(t->dst));
	o.future = 0;
	assert_int_equal(snapfork_fork(t->src, t->dst, &o.v1, &rep), 0);
	assert_int_equal(rep.mem_via, SNAPFORK_VIA_LINK);
}

static void test_sizes_below_the_first_version_are_invalid(void **state)
{
	struct tt_place *t = tt_place(state);
	tt_snapshot(t->src, "memory", (off_t)64 << 20);
	struct snapfork_options o = SNAPFORK_OPTIONS_INIT;
	o.size = SNAPFORK_OPTIONS_SIZE_VER1 - 1;
	assert_int_equal(snapfork_fork(t->src, t->dst, &o, NULL), -EINVAL);
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	rep.size = 0;
	assert_int_equal(snapfork_fork(t->src, t->dst, NULL, &rep), -EINVAL);
	struct snapfork_probe p = SNAPFORK_PROBE_INIT;
	p.size = 8;
	assert_int_equal(snapfork_probe(t->dir, &p), -EINVAL);
	assert_false(tt_exists(t->dst));
}

/* A newer caller's larger report: its unknown tail is zeroed, and nothing
 * past its size is written. */
static void test_larger_report_gets_its_tail_zeroed(void **state)
{
	struct tt_place *t = tt_place(state);
	tt_snapshot(t->src, "memory", (off_t)64 << 20);
	unsigned char buf[sizeof(struct snapfork_report) + 64];
	memset(buf, 0xaa, sizeof buf);
	struct snapfork_report *rep = (struct snapfork_report *)buf;
	rep->size = sizeof *rep + 16;
	assert_int_equal(snapfork_fork(t->src, t->dst, NULL, rep), 0);
	assert_int_equal(rep->size, sizeof *rep + 16);
	assert_int_equal(rep->kind, SNAPFORK_KIND_RAW);
	for (size_t i = sizeof *rep; i < sizeof *rep + 16; i++)
		assert_int_equal(buf[i], 0);
	for (size_t i = sizeof *rep + 16; i < sizeof buf; i++)
		assert_int_equal(buf[i], 0xaa);
	unsigned char pbuf[sizeof(struct snapfork_probe) + 8];
	memset(pbuf, 0xaa, sizeof pbuf);
	struct snapfork_probe *p = (struct snapfork_probe *)pbuf;
	p->size = sizeof *p;
	assert_int_equal(snapfork_probe(t->dir, p), 0);
	assert_int_equal(p->hardlink, 0);
	for (size_t i = sizeof *p; i < sizeof pbuf; i++)
		assert_int_equal(pbuf[i], 0xaa);
}

static void test_version_is_the_headers(void **state)
{
	(void)state;
	assert_string_equal(snapfork_version(), SNAPFORK_VERSION);
}

static int setup(void **state)
{
	return tt_place_setup(state, "abi");
}

/* A struct of 4-byte size then bytes, as the public ones begin. */
struct blob {
	uint32_t size;
	unsigned char b[28];
};

static void test_struct_in_zeroes_what_an_older_caller_lacks(void **state)
{
	(void)state;
	struct blob theirs, ours;
	memset(&theirs, 0x11, sizeof theirs);
	theirs.size = 12; /* size and 8 bytes */
	memset(&ours, 0xAA, sizeof ours);
	assert_int_equal(sf_struct_in(&ours, sizeof ours, &theirs, 8), 0);
	assert_int_equal(ours.size, 12);
	for (size_t i = 0; i < sizeof ours.b; i++)
		assert_int_equal(ours.b[i], i < 8 ? 0x11 : 0);
	/* A newer caller: bytes past ours must be 0, and are not copied. */
	unsigned char big[64];
	memset(big, 0, sizeof big);
	uint32_t size = sizeof big;
	memcpy(big, &size, sizeof size);
	memset(big + 4, 0x22, sizeof ours - 4);
	assert_int_equal(sf_struct_in(&ours, sizeof ours, big, 8), 0);
	assert_int_equal(ours.b[sizeof ours.b - 1], 0x22);
	big[sizeof ours] = 1;
	assert_int_equal(sf_struct_in(&ours, sizeof ours, big, 8), -E2BIG);
	theirs.size = 7;
	assert_int_equal(sf_struct_in(&ours, sizeof ours, &theirs, 8), -EINVAL);
	assert_false(sf_struct_size_ok(&theirs, 8));
	theirs.size = 8;
	assert_true(sf_struct_size_ok(&theirs, 8));
}

static void test_struct_out_writes_only_the_callers_bytes(void **state)
{
	(void)state;
	struct blob ours;
	memset(&ours, 0x33, sizeof ours);
	ours.size = sizeof ours;
	unsigned char theirs[64];
	/* Older caller: 12 bytes written, its size kept, nothing after. */
	memset(theirs, 0xEE, sizeof theirs);
	uint32_t size = 12;
	memcpy(theirs, &size, sizeof size);
	sf_struct_out(theirs, &ours, sizeof ours);
	memcpy(&size, theirs, sizeof size);
	assert_int_equal(size, 12);
	for (size_t i = 4; i < sizeof theirs; i++)
		assert_int_equal(theirs[i], i < 12 ? 0x33 : 0xEE);
	/* Newer caller: ours, then its tail zeroed. */
	memset(theirs, 0xEE, sizeof theirs);
	size = sizeof theirs;
	memcpy(theirs, &size, sizeof size);
	sf_struct_out(theirs, &ours, sizeof ours);
	memcpy(&size, theirs, sizeof size);
	assert_int_equal(size, sizeof theirs);
	for (size_t i = 4; i < sizeof theirs; i++)
		assert_int_equal(theirs[i], i < sizeof ours ? 0x33 : 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_newer_caller_with_unknown_field_set_is_refused,
						setup, tt_place_teardown),
		cmocka_unit_test_setup_teardown(test_sizes_below_the_first_version_are_invalid,
						setup, tt_place_teardown),
		cmocka_unit_test_setup_teardown(test_larger_report_gets_its_tail_zeroed, setup,
						tt_place_teardown),
		cmocka_unit_test(test_version_is_the_headers),
		cmocka_unit_test(test_struct_in_zeroes_what_an_older_caller_lacks),
		cmocka_unit_test(test_struct_out_writes_only_the_callers_bytes),
	};
	return cmocka_run_group_tests_name("abi", tests, NULL, NULL);
}
