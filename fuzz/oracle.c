/* oracle.c - see oracle.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "judge.h"
#include "oracle.h"
#include "snapfork.h"

#define SENTINEL "the fork must never write here\n"

static char root[256];

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "ORACLE: %s: %s\n", what, detail);
	abort();
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

/* At exit the scratch goes; after a crash it stays, to look at. */
static void remove_root(void)
{
	judge_remove_tree(root);
}

const char *fz_scratch(void)
{
	if (!root[0]) {
		/* tmpfs: fast, and holes are real there. */
		const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
		snprintf(root, sizeof root, "%s/snapfork-fuzz.%d", base, (int)getpid());
		atexit(remove_root);
	}
	judge_remove_tree(root);
	if (mkdir(root, 0755) < 0)
		die(root, strerror(errno));
	char p[300];
	snprintf(p, sizeof p, "%s/src", root);
	if (mkdir(p, 0755) < 0)
		die(p, strerror(errno));
	snprintf(p, sizeof p, "%s/sentinel", root);
	FILE *f = fopen(p, "w");
	if (!f || fputs(SENTINEL, f) < 0 || fclose(f) != 0)
		die(p, "cannot write the sentinel");
	return root;
}

void fz_sentinel_intact(const char *r)
{
	char p[300], buf[128] = "";
	snprintf(p, sizeof p, "%s/sentinel", r);
	FILE *f = fopen(p, "r");
	size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = '\0';
	if (strcmp(buf, SENTINEL) != 0)
		die(p, "the sentinel outside the tree changed");
}

/* Names directly in root, joined: to see what a refused fork left. */
static void listing(const char *r, char *out, size_t len)
{
	out[0] = '\0';
	DIR *d = opendir(r);
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			snprintf(out + strlen(out), len - strlen(out), "[%s]", de->d_name);
	if (d)
		closedir(d);
}

/* The checker's reading of the contract: does this tree hold an entry
 * (outside what is skipped) that the fork must refuse? */
static int must_refuse(const char *src)
{
	struct judge_tree t;
	struct judge_expect x;
	char err[512];
	if (judge_tree_load(src, &t, err, sizeof err) < 0)
		die("checker cannot read the tree", err);
	if (judge_expect(&t, NULL, &x) < 0)
		die("checker", "out of memory");
	int refuse = 0;
	for (size_t i = 0; i < t.n; i++)
		if (x.keep[i] && (S_ISFIFO(t.e[i].mode) || S_ISCHR(t.e[i].mode) || S_ISBLK(t.e[i].mode)))
			refuse = 1;
	judge_expect_free(&x);
	judge_tree_free(&t);
	return refuse;
}

void fz_fork_and_judge(const char *r)
{
	char src[300], dst[300], before_list[4096], after_list[4096], err[512];
	snprintf(src, sizeof src, "%s/src", r);
	snprintf(dst, sizeof dst, "%s/dst", r);
	int refuse = must_refuse(src);
	struct judge_state before, after;
	if (judge_state_take(src, &before, err, sizeof err) < 0)
		die("cannot read the snapshot", err);
	listing(r, before_list, sizeof before_list);
	int fds = count_fds();
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	int ret = snapfork_fork(src, dst, NULL, &rep);
	if (count_fds() != fds)
		die("file descriptors", "the fork leaked one");
	fz_sentinel_intact(r);
	struct judge_result res = { 0 };
	if (judge_state_take(src, &after, err, sizeof err) < 0)
		die("cannot read the snapshot after the fork", err);
	judge_state_compare(&before, &after, &res);
	if (refuse) {
		if (ret == 0)
			die("a FIFO or device in the snapshot", "the fork did not refuse it");
		listing(r, after_list, sizeof after_list);
		if (strcmp(before_list, after_list) != 0)
			die("a refused fork left something", after_list);
	} else if (ret != 0) {
		char msg[1400];
		snprintf(msg, sizeof msg, "%s: %s (%s)", rep.error_path,
			 rep.error_reason ? rep.error_reason : "", strerror(-ret));
		die("the fork of a valid snapshot failed", msg);
	} else if (judge_verify(src, dst, NULL, &res, err, sizeof err) < 0) {
		die("checker cannot read the fork", err);
	}
	if (res.n) {
		char msg[1400];
		snprintf(msg, sizeof msg, "%s %s: %s", res.v[0].rule, res.v[0].path, res.v[0].what);
		die("the fork breaks the contract", msg);
	}
	judge_result_free(&res);
	judge_state_free(&before);
	judge_state_free(&after);
}
