/* run.c - one fork on one filesystem under dm-log-writes (power.h): the
 * snapshot made on the test filesystem and synced, SRC's state taken, the
 * "pre" mark, the fork, the "post" mark once it returned, a few seconds
 * more for the filesystem's periodic commit to do what it would after
 * any fork (the window a power cut minutes later falls into), the
 * unmount; then every state of the log judged (states.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "crash.h"
#include "fixture.h"
#include "forkcmd.h"
#include "judge.h"
#include "power.h"

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* SRC on the test filesystem, durable before the first mark. */
static int make_snapshot(const struct power_opts *o, const struct power_disk *d, char *snap,
			 char *dst, size_t len, char *err, size_t elen)
{
	char parent[4300];
	snprintf(snap, len, "%s/snap", d->mnt);
	snprintf(parent, sizeof parent, "%s/p", d->mnt);
	snprintf(dst, len, "%.4000s/fork", parent);
	int r = fixture_extract(o->f->tar, snap, o->f->sockets, err, elen);
	if (r < 0)
		return r;
	if (mkdir(parent, 0755) < 0)
		return snprintf(err, elen, "%s: %s", parent, strerror(errno)), -errno;
	int fd = open(d->mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || syncfs(fd) < 0) {
		r = -errno;
		snprintf(err, elen, "%s: syncfs: %s", d->mnt, strerror(errno));
	}
	if (fd >= 0)
		close(fd);
	return r;
}

/* xfs forces its log on a timer of its own, 30 s by default, not on the
 * mount's commit=: set it to a second (its minimum,
 * Documentation/admin-guide/xfs.rst, fs.xfs.xfssyncd_centisecs) for the
 * run, so that --settle sees what a periodic log force after a fork does;
 * the old value back after.  Returns the old value, or -1. */
#define XFS_SYNCD "/proc/sys/fs/xfs/xfssyncd_centisecs"
static int xfs_syncd(int set)
{
	int old = -1;
	FILE *f = fopen(XFS_SYNCD, "r+e");
	if (f && fscanf(f, "%d", &old) == 1 && set >= 0) {
		rewind(f);
		fprintf(f, "%d\n", set);
	}
	if (f)
		fclose(f);
	return old;
}

/* The fork, between the marks. */
static int fork_between_marks(const struct power_opts *o, struct power_disk *d, const char *snap,
			      const char *dst, struct power_result *r, char *err, size_t len)
{
	int rc = power_disk_mark(d, "pre", err, len);
	if (rc < 0)
		return rc;
	char *cmd = forkcmd_expand(o->fork_tmpl, snap, dst);
	if (!cmd)
		return snprintf(err, len, "out of memory"), -ENOMEM;
	FILE *f = fopen(d->cmdlog, "ae");
	if (f)
		fprintf(f, "$ %s\n", cmd), fclose(f);
	r->fork_rc = child_sh(cmd, d->cmdlog,
			      child_deadline_ms((int64_t)(o->timeout_s ? o->timeout_s : 300) * 1000));
	free(cmd);
	if (r->fork_rc == -EINTR)
		return snprintf(err, len, "stopped by signal %d", child_interrupted()), -EINTR;
	if (r->fork_rc == -ETIMEDOUT)
		return snprintf(err, len, "the fork did not end within %u s (killed)",
				o->timeout_s ? o->timeout_s : 300),
		       -ETIMEDOUT;
	if (r->fork_rc < 0)
		return snprintf(err, len, "cannot run the fork: %s", strerror(-r->fork_rc)),
		       r->fork_rc;
	/* Every fixture powercut takes must fork: a fork that fails would
	 * leave DST absent in every state, a pass that judged nothing. */
	if (r->fork_rc != 0)
		return snprintf(err, len, "the fork exited %d (it must fork this fixture; see %s)",
				r->fork_rc, d->cmdlog),
		       -ENOEXEC;
	if ((rc = power_disk_mark(d, "post", err, len)) < 0)
		return rc;
	/* Whole now, on the live filesystem: else it is the fork's own bug
	 * (check fails it), not something a power cut did. */
	struct crash_point live = { 0 };
	crash_judge_dst(snap, dst, &live);
	if (live.dst != CS_COMPLETE)
		return snprintf(err, len, "the fork returned 0 but DST is not whole before any power "
					  "cut (snapfork check fails it): %s",
				live.what[0] ? live.what : "DST absent"),
		       -EPROTO;
	for (unsigned s = 0; s < o->settle_s && !child_interrupted(); s++)
		sleep(1);
	return child_interrupted() ? -EINTR : 0;
}

int power_run(const struct power_opts *o, struct power_result *r)
{
	memset(r, 0, sizeof *r);
	r->first_bad = -1;
	r->c3 = r->c4 = -1;
	r->fork_rc = -1;
	double t0 = now_s();
	char dir[4200], snap[4300], dst[4300];
	snprintf(dir, sizeof dir, "%s/snapfork-power.XXXXXX", o->scratch);
	if (!mkdtemp(dir)) {
		snprintf(r->error, sizeof r->error, "%s: %s", dir, strerror(errno));
		return -errno;
	}
	struct power_disk d;
	struct judge_state before = { 0 };
	int rc = power_disk_open(&d, dir, o->fs, r->error, sizeof r->error);
	if (rc == 0)
		rc = make_snapshot(o, &d, snap, dst, sizeof snap, r->error, sizeof r->error);
	if (rc == 0)
		rc = judge_state_take(snap, &before, r->error, sizeof r->error);
	int syncd = rc == 0 && !strcmp(o->fs, "xfs") ? xfs_syncd(100) : -1;
	if (rc == 0)
		rc = fork_between_marks(o, &d, snap, dst, r, r->error, sizeof r->error);
	if (syncd >= 0)
		xfs_syncd(syncd);
	if (rc == 0)
		rc = power_disk_finish(&d, r->error, sizeof r->error);
	if (rc == 0)
		rc = power_judge_states(o, &d, &before, r, r->error, sizeof r->error);
	judge_state_free(&before);
	/* A setup error or a bad state keeps the commands' log (which step
	 * failed and why; what the fork printed) when --keep was given. */
	if ((rc < 0 || r->first_bad >= 0) && o->keep && d.cmdlog[0]) {
		char kept[4400];
		power_keep_name(o, kept, sizeof kept, "commands.log");
		power_copy(d.cmdlog, kept);
	}
	power_disk_close(&d, 0);
	judge_remove_tree(dir);
	r->seconds = now_s() - t0;
	return rc;
}
