/* refusal.c - F13 (and F6) on one fixture: a FIFO, or a device node,
 * planted in the snapshot must make the fork fail and leave no DST and no
 * debris. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "steps.h"

enum planted { PLANT_FIFO, PLANT_DEVICE };
#define PLANT_MAX (PATH_MAX + 64)

/* What makes a fork of snap fail, deep in the tree, so a fork has made
 * much before it meets it: a FIFO, or a character device node.  0, -errno
 * (err says why), or 1: device nodes cannot be made here (no CAP_MKNOD). */
static int plant(const struct conform_setup *c, const struct fixture *f, const char *snap,
		 enum planted what, char *node, char *err, size_t len)
{
	struct stat st;
	if (f->refused) /* the fixture holds what makes a fork fail */
		return 0;
	if (what == PLANT_FIFO && conform_hooks_of(c)->plant)
		return conform_hooks_of(c)->plant(conform_hooks_of(c)->ctx, snap, err, len);
	snprintf(node, PLANT_MAX, "%s/snapshots/snapshot-latest", snap);
	if (stat(node, &st) < 0)
		snprintf(node, PLANT_MAX, "%s", snap);
	strncat(node, what == PLANT_FIFO ? "/zz-planted.fifo" : "/zz-planted.dev",
		PLANT_MAX - strlen(node) - 1);
	int r = what == PLANT_FIFO ? mkfifo(node, 0600) : mknod(node, S_IFCHR | 0600, makedev(1, 3));
	if (r == 0)
		return 0;
	if (what == PLANT_DEVICE && errno == EPERM)
		return 1;
	snprintf(err, len, "%s: %s: %s", node, what == PLANT_FIFO ? "mkfifo" : "mknod",
		 strerror(errno));
	return -errno;
}

static int refusal_row(const struct conform_setup *c, const struct fixture *f,
		       struct conform_row *row, enum planted what, char *err, size_t len)
{
	memset(row, 0, sizeof *row);
	if (asprintf(&row->name, "%s:%s", what == PLANT_FIFO ? "refusal" : "refusal-device",
		     f->name) < 0)
		return -ENOMEM;
	row->rerun = conform_rerun_arg(f); /* its fixture's rows include it */
	char *dir = conform_scratch_dir(c->scratch, "refusal", err, len);
	char *fdir = c->fork_dir ? conform_scratch_dir(c->fork_dir, "refusal", err, len) : NULL;
	if (!dir || (c->fork_dir && !fdir)) {
		free(dir);
		return -EIO;
	}
	char snap[PATH_MAX], fork[PATH_MAX];
	snprintf(snap, sizeof snap, "%s/snap", dir);
	snprintf(fork, sizeof fork, "%s/fork", fdir ? fdir : dir);
	int r = conform_extract(c, f, dir, snap, err, len);
	struct judge_state before, after;
	char node[PLANT_MAX] = "";
	if (r == 0 && (r = plant(c, f, snap, what, node, err, len)) == 1) {
		row->cell[13] = CONFORM_SKIP;
		conform_append(&row->detail[13], "device nodes cannot be made here (mknod needs "
						 "CAP_MKNOD, as root): not run");
		r = 2;
	}
	if (r == 0)
		r = judge_state_take(snap, &before, err, len);
	if (r == 0) {
		struct judge_result res = { 0 };
		struct conform_beside was;
		char msg[2048] = "", left[1100];
		conform_beside_take(fdir ? fdir : dir, &was);
		res.checked |= 1u << 13;
		double t0 = conform_now_ms();
		int forked = conform_fork(c, f, snap, fork, msg, sizeof msg);
		if (forked == 0) /* what made SRC one to refuse, relative to it */
			judge_fail(&res, 13, fork,
				   "the fork succeeded where the contract wants it to fail: SRC holds "
				   "%s (CONTRACT.md, Refused entries)",
				   node[0]      ? node + strlen(snap) + 1
				   : f->refused ? "an entry its manifest says is refused"
						: "what the leg planted");
		else if (forked == FORKCMD_TIMEOUT) /* a hang is no refusal */
			judge_fail(&res, 13, fork, "the fork %s", msg);
		else if ((r = conform_fork_fatal(forked, msg, err, len)) == 0)
			row->note = strdup(msg); /* why it failed, as it had to */
		row->fork_ms = conform_now_ms() - t0;
		conform_fork_left(c, left, sizeof left);
		conform_judge_left(left, fork, &res);
		if (r < 0) {
			judge_result_free(&res);
			judge_state_free(&before);
			conform_beside_free(&was);
			goto out;
		}
		if (forked != 0) /* a fork that succeeded has been told so */
			conform_beside_judge(&was, (const char *const[]){ fork }, (const int[]){ 0 },
					     1, &res);
		if (judge_state_take(snap, &after, err, len) == 0) {
			judge_state_compare(&before, &after, &res);
			judge_state_free(&after);
		}
		judge_state_free(&before);
		conform_fill_row(row, &res);
		judge_result_free(&res);
		conform_beside_free(&was);
	}
out:
	if (r == 0 && (conform_row_failed(row) || c->keep)) {
		row->kept = dir;
		dir = NULL;
	}
	if (fdir && !row->kept)
		conform_drop(c, fdir);
	if (dir)
		conform_drop(c, dir);
	free(dir);
	free(fdir);
	return r == 2 ? 0 : r; /* 2: the row is a skip, said in its cell */
}

int conform_refusal(const struct conform_setup *c, const struct fixture *f,
		    struct conform_row *row, char *err, size_t len)
{
	return refusal_row(c, f, row, PLANT_FIFO, err, len);
}

int conform_refusal_device(const struct conform_setup *c, const struct fixture *f,
			   struct conform_row *row, char *err, size_t len)
{
	return refusal_row(c, f, row, PLANT_DEVICE, err, len);
}

