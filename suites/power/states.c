/* states.c - every state a power cut could leave (power.h): the log is
 * replayed onto a blank image of the data disk (the disk was blank when
 * the log-writes target was made over it, so the log holds all it ever
 * got); from the "pre" mark on, the image as replayed up to each FLUSH or
 * FUA entry is one state (dm-log-writes logs a write only once it
 * completed, and the writes that completed before a flush are logged
 * before it: Documentation/admin-guide/device-mapper/log-writes.rst), and
 * so is the end of the log.  Writes between two flushes could reach the
 * disk in any order; those states are not tried (xfstests'
 * generic/482 does the same).  Past o->max_states, the states judged are
 * the first after the fork returned, the last, and the rest evenly
 * spaced. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child.h"
#include "crash.h"
#include "power.h"

struct state {
	uint64_t entry; /* the log entry it ends at */
	int after;      /* past the "post" mark: the fork had returned */
	int judge;
};

/* Pass one: the states, in log order, and whether the marks are there. */
static int find_states(const char *log, struct state **out, size_t *n, char *err, size_t len)
{
	struct crash_log l;
	int r = crash_log_open(log, &l, err, len);
	if (r < 0)
		return r;
	struct crash_log_entry e;
	int pre = 0, post = 0;
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	uint64_t last = 0;
	while ((r = crash_log_next(&l, &e)) == 1) {
		last = e.index;
		if (e.flags & CRASH_LOG_MARK) {
			pre |= !strcmp(e.mark, "pre");
			post |= pre && !strcmp(e.mark, "post");
			continue;
		}
		if (!pre || !(e.flags & (CRASH_LOG_FLUSH | CRASH_LOG_FUA)))
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 256;
			struct state *s = *n < POWER_MAX_STATES ? realloc(*out, cap * sizeof **out) : NULL;
			if (!s) {
				r = -E2BIG;
				break;
			}
			*out = s;
		}
		(*out)[(*n)++] = (struct state){ e.index, post, 0 };
	}
	crash_log_close(&l);
	if (r == 0 && !(pre && post))
		r = -ENOMSG;
	if (r == 0 && (*n == 0 || (*out)[*n - 1].entry != last)) {
		struct state *s = realloc(*out, (*n + 1) * sizeof **out);
		if (!s)
			r = -ENOMEM;
		else
			*out = s, s[(*n)++] = (struct state){ last, 1, 0 };
	}
	if (r == -EIO)
		snprintf(err, len, "%s: the log ends before the entries its super block counts", log);
	else if (r == -E2BIG)
		snprintf(err, len, "%s: more than %d states", log, POWER_MAX_STATES);
	else if (r == -ENOMSG)
		snprintf(err, len, "%s: no 'pre' and 'post' marks in the log", log);
	return r;
}

static void choose(struct state *s, size_t n, unsigned max)
{
	if (n <= max || max < 2) {
		for (size_t i = 0; i < n; i++)
			s[i].judge = 1;
		return;
	}
	s[n - 1].judge = 1;
	for (size_t i = 0; i < n; i++)
		if (s[i].after) {
			s[i].judge = 1;
			break;
		}
	for (unsigned k = 0; k + 2 < max; k++)
		s[(size_t)k * (n - 1) / (max - 2)].judge = 1;
}

/* The replay image as it is now into keep, once (the first bad state). */
static void keep_state(const struct power_opts *o, struct power_disk *d, struct power_result *r,
		       uint64_t entry)
{
	if (!o->keep || r->kept[0])
		return;
	char what[64];
	snprintf(what, sizeof what, "entry%llu.img", (unsigned long long)entry);
	power_keep_name(o, r->kept, sizeof r->kept, what);
	char log[4500];
	snprintf(log, sizeof log, "%s.log", r->kept);
	int rc = power_copy(d->replay, r->kept);
	if (rc == 0)
		rc = power_copy(d->logimg, log);
	if (rc < 0) {
		char why[4600];
		snprintf(why, sizeof why, "(could not keep %s: %s)", r->kept, strerror(-rc));
		snprintf(r->kept, sizeof r->kept, "%.*s", (int)sizeof r->kept - 1, why);
	}
}

/* Mount, judge, unmount and fsck the image as replayed so far. */
static int judge_one(const struct power_opts *o, struct power_disk *d,
		     const struct judge_state *before, const struct state *s,
		     struct power_result *r, int *whole, char *err, size_t len)
{
	char mnt[4300], snap[4400], dst[4400], why[1200] = "";
	snprintf(mnt, sizeof mnt, "%s/state", d->dir);
	snprintf(snap, sizeof snap, "%s/snap", mnt);
	snprintf(dst, sizeof dst, "%s/p/fork", mnt);
	struct crash_point p = { 0 };
	int bad = 0, rc = power_state_mount(d, mnt, why, sizeof why);
	/* After SIGINT/SIGTERM no command runs: a mount or fsck that "failed"
	 * then says nothing of the state. */
	if (child_interrupted())
		return snprintf(err, len, "stopped by signal %d", child_interrupted()), -EINTR;
	if (rc == -EUCLEAN) {
		r->unrecovered++;
		bad = 1;
	} else if (rc < 0) {
		return snprintf(err, len, "%s", why), rc;
	} else {
		crash_judge_dst(snap, dst, &p);
		crash_judge_src(snap, before, &p);
		r->absent += p.dst == CS_ABSENT;
		r->complete += p.dst == CS_COMPLETE;
		r->torn += p.dst == CS_PARTIAL;
		r->src_changed += p.src_changed != 0;
		r->failed |= p.failed;
		if (p.dst == CS_PARTIAL || p.src_changed)
			bad = 1, snprintf(why, sizeof why, "%s", p.what);
		rc = power_state_umount(d, mnt, p.what, sizeof p.what);
		if (child_interrupted())
			return snprintf(err, len, "stopped by signal %d", child_interrupted()), -EINTR;
		if (rc < 0)
			return snprintf(err, len, "%s", p.what), rc;
		if (rc == 1) {
			r->unrecovered++;
			if (!bad)
				snprintf(why, sizeof why, "%s", p.what);
			bad = 1;
		}
	}
	if (rc == -EUCLEAN && power_state_umount(d, mnt, err, len) < 0)
		return -EIO;
	*whole = rc >= 0 && p.dst == CS_COMPLETE;
	r->judged++;
	r->during += !s->after;
	r->after += s->after != 0;
	int c4 = o->durable && r->fork_rc == 0 && s->after && p.dst != CS_COMPLETE;
	if (bad)
		r->c3 = 1;
	if (c4) {
		r->c4 = 1;
		if (!bad)
			snprintf(why, sizeof why, "DST is %s after the fork returned success",
				 p.dst == CS_ABSENT ? "absent" : "torn");
	}
	if ((bad || c4) && r->first_bad < 0) {
		r->first_bad = (long)s->entry;
		r->first_bad_after = s->after;
		snprintf(r->what, sizeof r->what, "%s", why);
		keep_state(o, d, r, s->entry);
	}
	return 0;
}

int power_judge_states(const struct power_opts *o, struct power_disk *d,
		       const struct judge_state *before, struct power_result *r, char *err,
		       size_t len)
{
	struct state *s = NULL;
	size_t n = 0;
	int rc = find_states(d->logimg, &s, &n, err, len);
	if (rc < 0)
		return free(s), rc;
	r->states = (unsigned)n;
	choose(s, n, o->max_states);
	char mnt[4300];
	snprintf(mnt, sizeof mnt, "%s/state", d->dir);
	struct crash_log l;
	int fd = open(d->replay, O_RDWR | O_CLOEXEC);
	if (fd < 0 || mkdir(mnt, 0755) < 0)
		rc = -errno, snprintf(err, len, "%s: %s", fd < 0 ? d->replay : mnt, strerror(errno));
	else
		rc = crash_log_open(d->logimg, &l, err, len);
	if (rc < 0) {
		if (fd >= 0)
			close(fd);
		return free(s), rc;
	}
	r->c3 = r->c4 = 0;
	if (!o->durable || r->fork_rc != 0)
		r->c4 = -1;
	struct crash_log_entry e;
	size_t i = 0;
	int whole = 0, got = 1;
	while (rc == 0 && i < n && (got = crash_log_next(&l, &e)) == 1) {
		if ((rc = crash_log_apply(&l, &e, fd)) < 0) {
			snprintf(err, len, "%s: replaying entry %llu: %s", d->replay,
				 (unsigned long long)e.index, strerror(-rc));
			break;
		}
		if (e.index != s[i].entry)
			continue;
		if (s[i].judge && (rc = judge_one(o, d, before, &s[i], r, &whole, err, len)) < 0)
			break;
		/* The last state is the filesystem as it was unmounted: a
		 * fork that succeeded must be whole there, or the log (or this
		 * replayer) lost writes, and no state before it means anything. */
		if (i + 1 == n && r->fork_rc == 0 && !whole) {
			snprintf(err, len, "the replayed log's last state holds no whole fork: the "
					   "log or its replay lost writes (see %s)", d->cmdlog);
			rc = -EPROTO;
		}
		i++;
	}
	if (rc == 0 && got != 1) { /* pass one read it all: it changed since */
		snprintf(err, len, "%s: the log ended at entry %zu of the states' %zu", d->logimg, i, n);
		rc = -EIO;
	}
	crash_log_close(&l);
	close(fd);
	free(s);
	return rc;
}
