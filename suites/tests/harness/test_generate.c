/* test_generate.c - generated layouts: the same seed gives the same bytes,
 * every dimension of the layout space is reachable, refused layouts leave
 * nothing behind, and a planted single-entry bug shrinks to at most five
 * entries whose fixture tar reproduces it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "snapfork.h"
#include "testtree.h"

static void same_model(const struct layout *a, const struct layout *b)
{
	assert_int_equal(a->n, b->n);
	assert_int_equal(a->umask, b->umask);
	assert_int_equal(a->root_mode, b->root_mode);
	for (size_t i = 0; i < a->n; i++) {
		const struct layout_entry *x = &a->e[i], *y = &b->e[i];
		assert_string_equal(x->path, y->path);
		assert_int_equal(x->type, y->type);
		assert_int_equal(x->mode, y->mode);
		assert_true(x->size == y->size && x->seed == y->seed && x->next == y->next);
		assert_memory_equal(x->ext, y->ext, sizeof x->ext);
		assert_true((!x->target && !y->target) || strcmp(x->target, y->target) == 0);
	}
}

/* Two builds of one layout: the same entries, modes, sizes, targets and
 * bytes (holes included: the judge compares data where either has any). */
static void same_tree(const char *a, const char *b)
{
	struct judge_tree ta, tb;
	char err[256], msg[256];
	assert_int_equal(judge_tree_load(a, &ta, err, sizeof err), 0);
	assert_int_equal(judge_tree_load(b, &tb, err, sizeof err), 0);
	assert_int_equal(ta.n, tb.n);
	for (size_t i = 0; i < ta.n; i++) {
		const struct judge_entry *x = &ta.e[i], *y = &tb.e[i];
		assert_string_equal(x->rel, y->rel);
		assert_int_equal(x->mode, y->mode);
		assert_true(x->size == y->size);
		if (S_ISLNK(x->mode))
			assert_string_equal(x->target, y->target);
		if (!S_ISREG(x->mode))
			continue;
		int fa = judge_open_rel(ta.rootfd, x->rel, O_RDONLY | O_NONBLOCK);
		int fb = judge_open_rel(tb.rootfd, y->rel, O_RDONLY | O_NONBLOCK);
		assert_true(fa >= 0 && fb >= 0);
		if (judge_compare_content(fa, fb, x->size, msg, sizeof msg) != 0)
			fail_msg("%s: %s", x->rel, msg);
		close(fa);
		close(fb);
	}
	judge_tree_free(&ta);
	judge_tree_free(&tb);
}

static void test_same_seed_same_bytes(void **state)
{
	(void)state;
	char *dir = tt_scratch("gen-determinism");
	char err[512];
	for (unsigned i = 0; i < 12; i++) {
		struct layout a, b, c;
		assert_int_equal(layout_generate(42, i * 9, 0, &a), 0);
		assert_int_equal(layout_generate(42, i * 9, 0, &b), 0);
		assert_int_equal(layout_generate(43, i * 9, 0, &c), 0);
		same_model(&a, &b);
		/* Another seed, another layout (the paths differ somewhere). */
		int differs = a.n != c.n || a.umask != c.umask;
		for (size_t k = 0; !differs && k < a.n; k++)
			differs = strcmp(a.e[k].path, c.e[k].path) != 0 || a.e[k].seed != c.e[k].seed;
		assert_true(differs);
		char pa[4200], pb[4200];
		snprintf(pa, sizeof pa, "%s/a%u", dir, i);
		snprintf(pb, sizeof pb, "%s/b%u", dir, i);
		if (layout_build(&a, pa, err, sizeof err) < 0 || layout_build(&b, pb, err, sizeof err) < 0)
			fail_msg("build: %s", err);
		same_tree(pa, pb);
		layout_free(&a);
		layout_free(&b);
		layout_free(&c);
	}
	tt_rm_rf(dir);
	free(dir);
}

/* Any layout_ndims() consecutive layouts hit every dimension (device
 * nodes only when they may be made). */
static void test_every_dimension_is_reached(void **state)
{
	(void)state;
	size_t n = layout_ndims();
	for (int devices = 0; devices <= 1; devices++) {
		unsigned char *hit = calloc(n, 1);
		for (unsigned i = 0; i < 200; i++) {
			struct layout l;
			assert_int_equal(layout_generate(7, i, devices, &l), 0);
			for (size_t d = 0; d < n; d++)
				hit[d] |= l.hit[d];
			layout_free(&l);
		}
		for (size_t d = 0; d < n; d++)
			if (!hit[d] && (devices || !strstr(layout_dim(d)->value, "device")))
				fail_msg("never hit: %s: %s", layout_dim(d)->dimension,
					 layout_dim(d)->value);
		free(hit);
	}
}

static int names_in(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	if (d)
		closedir(d);
	return n;
}

/* A refused layout is a refusal row: the reference fork fails, F13 holds,
 * and the row's scratch is gone afterwards. */
static void test_refused_layouts_leave_nothing(void **state)
{
	(void)state;
	char *dir = tt_scratch("gen-refusal");
	struct conform_setup c = { .scratch = dir, .fork = conform_fork_ref };
	unsigned found = 0;
	for (unsigned i = 0; i < 400 && found < 3; i++) {
		struct layout l;
		assert_int_equal(layout_generate(5, i, tt_is_root(), &l), 0);
		if (layout_refused(&l)) {
			struct conform_row row;
			char err[512];
			assert_int_equal(check_layout_row(&c, &l, "refused", &row, err, sizeof err), 0);
			assert_int_equal(row.cell[13], CONFORM_PASS);
			assert_false(conform_row_failed(&row));
			assert_null(row.kept);
			conform_row_free(&row);
			assert_int_equal(names_in(dir), 0);
			found++;
		}
		layout_free(&l);
	}
	assert_true(found > 0);
	tt_rm_rf(dir);
	free(dir);
}

/* Remove every entry whose name holds a newline, below dir. */
static void drop_newline_names(const char *dir)
{
	DIR *d = opendir(dir);
	for (struct dirent *e; d && (e = readdir(d));) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char p[8192];
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		struct stat st;
		if (strchr(e->d_name, '\n'))
			tt_rm_rf(p);
		else if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			drop_newline_names(p);
	}
	if (d)
		closedir(d);
}

/* The planted bug: the reference fork, then names with a newline lost. */
static int fork_planted(void *ctx, const char *src, const char *dst, char *msg, size_t len)
{
	(void)ctx;
	int r = conform_fork_ref(NULL, src, dst, msg, len);
	if (r == 0)
		drop_newline_names(dst);
	return r;
}

static void test_planted_bug_shrinks_and_reproduces(void **state)
{
	(void)state;
	char *dir = tt_scratch("gen-shrink");
	struct conform_setup c = { .scratch = dir, .fork = fork_planted };
	struct layout l, small;
	struct conform_row row;
	char err[512];
	unsigned i, trials;
	for (i = 0; i < 200; i++) { /* the first layout the bug shows in */
		assert_int_equal(layout_generate(1, i, 0, &l), 0);
		assert_int_equal(check_layout_row(&c, &l, "find", &row, err, sizeof err), 0);
		int failed = row.cell[1] == CONFORM_FAIL;
		if (row.kept)
			tt_rm_rf(row.kept);
		conform_row_free(&row);
		if (failed)
			break;
		layout_free(&l);
	}
	assert_true(i < 200);
	assert_int_equal(check_shrink(&c, &l, 1, &small, &trials), 0);
	print_message("note: gen-%u shrunk from %zu to %zu entries in %u forks\n", i,
		      layout_count(&l), layout_count(&small), trials);
	assert_true(layout_count(&small) <= 5);
	/* Written as a fixture, it reproduces through --fixture's path. */
	char snap[4200], tar[4200];
	snprintf(snap, sizeof snap, "%s/small", dir);
	snprintf(tar, sizeof tar, "%s/small.tar", dir);
	struct fixture_meta meta = { (int)small.umask, layout_refused(&small), "test" };
	assert_int_equal(layout_build(&small, snap, err, sizeof err), 0);
	assert_int_equal(fixture_capture(snap, tar, 0, &meta, err, sizeof err), 0);
	struct fixture f;
	assert_int_equal(fixture_resolve(tar, &f, err, sizeof err), 0);
	assert_int_equal(conform_fixture(&c, &f, &row, err, sizeof err), 0);
	assert_int_equal(row.cell[1], CONFORM_FAIL);
	if (row.kept)
		tt_rm_rf(row.kept);
	conform_row_free(&row);
	struct conform_setup ref = { .scratch = dir, .fork = conform_fork_ref };
	assert_int_equal(conform_fixture(&ref, &f, &row, err, sizeof err), 0);
	assert_false(conform_row_failed(&row));
	conform_row_free(&row);
	fixture_free(&f);
	layout_free(&l);
	layout_free(&small);
	tt_rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_seed_same_bytes),
		cmocka_unit_test(test_every_dimension_is_reached),
		cmocka_unit_test(test_refused_layouts_leave_nothing),
		cmocka_unit_test(test_planted_bug_shrinks_and_reproduces),
	};
	return cmocka_run_group_tests_name("generate", tests, NULL, NULL);
}
