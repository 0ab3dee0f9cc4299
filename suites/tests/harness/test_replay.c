/* test_replay.c - suites/crash/replay.c reads dm-log-writes logs as the
 * kernel writes them (drivers/md/dm-log-writes.c: a super block sector,
 * then per entry a header sector, a mark's name inline, a write's data
 * after it) and replays them: a log made here by hand, replayed entry by
 * entry onto an image, the image checked after each. */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crash.h"
#include "testtree.h"

#define SS 512u

struct logw {
	int fd;
	off_t at;
	uint64_t n;
};

static void put64(unsigned char *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, sizeof v);
}

/* One entry: header (mark inline), then nsec sectors of byte fill. */
static void entry(struct logw *w, uint64_t sector, uint64_t nsec, uint64_t flags,
		  const char *mark, int fill)
{
	unsigned char h[SS] = { 0 };
	put64(h, sector);
	put64(h + 8, nsec);
	put64(h + 16, flags);
	put64(h + 24, mark ? strlen(mark) : nsec * SS);
	if (mark)
		memcpy(h + 32, mark, strlen(mark));
	assert_int_equal(pwrite(w->fd, h, SS, w->at), SS);
	w->at += SS;
	if (!(flags & (CRASH_LOG_DISCARD | CRASH_LOG_MARK)) && nsec) {
		unsigned char *d = malloc(nsec * SS);
		memset(d, fill, nsec * SS);
		assert_int_equal(pwrite(w->fd, d, nsec * SS, w->at), (ssize_t)(nsec * SS));
		free(d);
		w->at += (off_t)(nsec * SS);
	}
	w->n++;
}

static void super(struct logw *w, uint64_t magic)
{
	unsigned char s[SS] = { 0 };
	uint32_t ss = htole32(SS);
	put64(s, magic);
	put64(s + 8, 1);
	put64(s + 16, w->n);
	memcpy(s + 24, &ss, sizeof ss);
	assert_int_equal(pwrite(w->fd, s, SS, 0), SS);
}

static int byte_at(int fd, off_t at)
{
	unsigned char c = 0xee;
	return pread(fd, &c, 1, at) == 1 ? c : -1;
}

static void test_replay_entry_by_entry(void **state)
{
	const char *dir = *state;
	char log[4096], img[4096], err[256];
	snprintf(log, sizeof log, "%s/log", dir);
	snprintf(img, sizeof img, "%s/img", dir);
	struct logw w = { open(log, O_RDWR | O_CREAT | O_TRUNC, 0600), SS, 0 };
	int dev = open(img, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(w.fd >= 0 && dev >= 0);
	assert_int_equal(ftruncate(dev, 16 * SS), 0);
	entry(&w, 0, 1, 0, NULL, 'a');                        /* 0: a write */
	entry(&w, 0, 0, CRASH_LOG_FLUSH, NULL, 0);            /* 1: a flush */
	entry(&w, 0, 0, CRASH_LOG_MARK, "before-fork", 0);    /* 2: a mark */
	entry(&w, 2, 2, CRASH_LOG_METADATA, NULL, 'b');       /* 3: two sectors */
	entry(&w, 0, 1, CRASH_LOG_DISCARD, NULL, 0);          /* 4: discard sector 0 */
	entry(&w, 5, 1, CRASH_LOG_FUA, NULL, 'c');            /* 5: FUA */
	super(&w, 0x6a736677736872ull);
	struct crash_log l;
	struct crash_log_entry e;
	assert_int_equal(crash_log_open(log, &l, err, sizeof err), 0);
	assert_int_equal(l.entries, 6);
	assert_int_equal(l.sectorsize, SS);
	static const struct {
		uint64_t flags;
		int s0, s2, s3, s5;
	} after[] = {
		{ 0, 'a', 0, 0, 0 },
		{ CRASH_LOG_FLUSH, 'a', 0, 0, 0 },
		{ CRASH_LOG_MARK, 'a', 0, 0, 0 },
		{ CRASH_LOG_METADATA, 'a', 'b', 'b', 0 },
		{ CRASH_LOG_DISCARD, 0, 'b', 'b', 0 },
		{ CRASH_LOG_FUA, 0, 'b', 'b', 'c' },
	};
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(crash_log_next(&l, &e), 1);
		assert_int_equal(e.index, i);
		assert_int_equal(e.flags, after[i].flags);
		assert_int_equal(crash_log_apply(&l, &e, dev), 0);
		assert_int_equal(byte_at(dev, 0), after[i].s0);
		assert_int_equal(byte_at(dev, 2 * SS + 7), after[i].s2);
		assert_int_equal(byte_at(dev, 4 * SS - 1), after[i].s3);
		assert_int_equal(byte_at(dev, 5 * SS), after[i].s5);
		if (i == 2)
			assert_string_equal(e.mark, "before-fork");
	}
	assert_int_equal(crash_log_next(&l, &e), 0);
	crash_log_close(&l);
	/* A super block that promises more entries than the log holds. */
	w.n = 9;
	super(&w, 0x6a736677736872ull);
	assert_int_equal(crash_log_open(log, &l, err, sizeof err), 0);
	int r;
	while ((r = crash_log_next(&l, &e)) == 1)
		;
	assert_int_equal(r, -EIO);
	crash_log_close(&l);
	/* Not a log. */
	super(&w, 0x1234);
	assert_int_equal(crash_log_open(log, &l, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "not a dm-log-writes log"));
	close(w.fd);
	close(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_replay_entry_by_entry, tt_scratch_setup,
						tt_scratch_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
