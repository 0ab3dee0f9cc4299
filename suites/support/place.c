/* place.c - where a test works (see testtree.h), and the checker as an assertion. */
#include <stdio.h>
#include <stdlib.h>

#include "judge.h"
#include "testtree.h"

static void paths(struct tt_place *p)
{
	snprintf(p->src, sizeof p->src, "%s/snap", p->dir);
	snprintf(p->dst, sizeof p->dst, "%s/fork", p->dir);
	tt_mkdir(p->dir, "snap", 0755);
}

int tt_place_setup(void **state, const char *tag)
{
	struct tt_place *p = calloc(1, sizeof *p);
	if (!p)
		return -1;
	p->dir = tt_scratch(tag);
	paths(p);
	*state = p;
	return 0;
}

int tt_place_setup_fs(void **state, const char *fs, const char *mkfs_opts)
{
	struct tt_place *p = calloc(1, sizeof *p);
	if (!p)
		return -1;
	p->mnt = tt_loopfs(fs, mkfs_opts, 512, p->why, sizeof p->why);
	if (p->mnt) {
		p->dir = p->mnt;
		paths(p);
	}
	*state = p;
	return 0;
}

int tt_place_teardown(void **state)
{
	struct tt_place *p = *state;
	if (p->mnt) {
		tt_loopfs_release(p->mnt);
	} else if (p->dir) {
		tt_rm_rf(p->dir);
		free(p->dir);
	}
	free(p);
	return 0;
}

struct tt_place *tt_place(void **state)
{
	struct tt_place *p = *state;
	if (!p->dir) {
		print_message("skip: %s\n", p->why);
		skip();
	}
	return p;
}

void tt_verify_ok(const char *src, const char *dst, const char *const *skip)
{
	struct judge_result res = { 0 };
	struct judge_verify_opts o = { .skip = skip };
	char err[512];
	if (judge_verify(src, dst, &o, &res, err, sizeof err) < 0)
		fail_msg("verify could not run: %s", err);
	for (size_t i = 0; i < res.n; i++)
		print_error("%s %s: %s\n", res.v[i].rule, res.v[i].path, res.v[i].what);
	size_t n = res.n;
	unsigned failed = res.failed;
	judge_result_free(&res);
	if (n || failed)
		fail_msg("%s: %zu violation(s) of the contract", dst, n);
}
