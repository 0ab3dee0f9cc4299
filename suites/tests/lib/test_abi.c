/* test_abi.c - the size rule of the public structs, in the library itself
 * (install_test.sh checks the same from an installed caller): older and
 * newer callers work, unknown fields set are -E2BIG, sizes below the
 * first version's -EINVAL, and no byte past the caller's size is written. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_newer_caller_with_unknown_field_set_is_refused,
						setup, tt_place_teardown),
		cmocka_unit_test_setup_teardown(test_sizes_below_the_first_version_are_invalid, setup,
						tt_place_teardown),
		cmocka_unit_test_setup_teardown(test_larger_report_gets_its_tail_zeroed, setup,
						tt_place_teardown),
		cmocka_unit_test(test_version_is_the_headers),
	};
	return cmocka_run_group_tests_name("abi", tests, NULL, NULL);
}
