/* power.h - `snapfork powercut`: a fork cut off by a power loss at every
 * moment its disk could be left in (CONTRACT.md C3, C4).  dm-log-writes
 * sits between the test filesystem and its disk and records every write
 * in the order it completed (disk.c); after the fork the log is replayed
 * onto a blank image of the disk, and at every FLUSH or FUA entry past the
 * mark set before the fork the image is a state the disk could really
 * have been in when the power went (states.c).  Each state is mounted
 * through a dm-snapshot (the journal replays into its copy-on-write
 * store, the replay image stays as it was), judged by the contract alone
 * (suites/crash: DST absent or complete, SRC as before), unmounted and
 * checked by the filesystem's fsck.  run.c forks once per filesystem and
 * mode; cmd_powercut.c is the command.  Prefix power_. */
#ifndef SNAPFORK_POWER_H
#define SNAPFORK_POWER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct fixture;

/* The disk stack: images on the scratch directory, their loop devices,
 * the log-writes target over the data disk, the test filesystem on it. */
struct power_disk {
	char dir[4096];
	char data[4200], logimg[4200], replay[4200], cow[4200], mnt[4200], cmdlog[4200];
	char dloop[64], lloop[64], rloop[64], cloop[64];
	char lw[64], snap[64]; /* dm device names, unique to this process */
	char fs[16];
	uint64_t sectors; /* of the data disk, 512 bytes each */
	int mounted, lw_up, snap_up;
};

/* Is everything power cuts need here (root, dmsetup, the log-writes and
 * snapshot targets, mkfs.FS)?  0, or -errno with the reason in why. */
int power_available(const char *fs, char *why, size_t len);
/* Make the stack under dir (which must exist) and the filesystem fs on
 * it, mounted at d->mnt: 0 or -errno (err says which step; its output is
 * in d->cmdlog). */
int power_disk_open(struct power_disk *d, const char *dir, const char *fs, char *err,
		    size_t len);
/* A mark named name in the log: 0 or -errno. */
int power_disk_mark(struct power_disk *d, const char *name, char *err, size_t len);
/* Unmount the filesystem and take the log-writes target down, so that
 * the log is whole in d->logimg: 0 or -errno. */
int power_disk_finish(struct power_disk *d, char *err, size_t len);
/* Mount the replay image as it is now through a fresh snapshot at mnt:
 * 0, or -errno (the mount failed: the state did not recover). */
int power_state_mount(struct power_disk *d, const char *mnt, char *err, size_t len);
/* Unmount it, fsck the snapshot (no repair), take the snapshot down: 0,
 * 1 (fsck found something: its verdict in err), -errno. */
int power_state_umount(struct power_disk *d, const char *mnt, char *err, size_t len);
/* Undo whatever is still up and remove the images (keep: leave them). */
void power_disk_close(struct power_disk *d, int keep);
/* Run a command line (its output appended to d->cmdlog), up to limit_s:
 * its exit status, or -errno. */
int power_sh(const struct power_disk *d, unsigned limit_s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* One fork on one filesystem, and every state its disk went through. */
struct power_opts {
	const char *fs;        /* ext4, xfs, btrfs */
	const char *mode;      /* its name: "library", "library --fsync", "fork-cmd" */
	const char *fork_tmpl; /* {src} {dst}, expanded and run by /bin/sh */
	int durable;           /* the fork promises durability: C4 applies */
	const struct fixture *f;
	const char *scratch;
	unsigned max_states; /* judged at most; sampled evenly past that */
	unsigned settle_s;   /* after the fork returns, before the unmount */
	unsigned timeout_s;  /* the fork's own limit */
	const char *keep;    /* a directory for the disk images of a failure */
};

enum { POWER_MAX_STATES = 100000 };

struct power_result {
	unsigned states, judged;         /* FLUSH/FUA states after the first mark; judged */
	unsigned absent, complete, torn; /* what DST was in the judged states */
	unsigned src_changed, unrecovered;
	unsigned during, after; /* judged states before and after the fork returned */
	unsigned failed;        /* bit k: rule Fk failed in some state */
	int c3, c4;             /* -1 not judged, 0 held, 1 failed */
	int fork_rc;            /* the fork's exit status */
	long first_bad;         /* its log entry, or -1 */
	int first_bad_after;    /* that state is after the fork returned */
	char what[1200];        /* what was wrong there */
	char error[5000];       /* the run could not be made (setup) */
	char kept[4400];        /* where its images were kept */
	double seconds;
};

int power_run(const struct power_opts *o, struct power_result *r);

/* keep.c: o->keep/FS-MODE-FIXTURE-what into out; a sparse copy of from
 * at to (replaced): 0 or -errno. */
void power_keep_name(const struct power_opts *o, char *out, size_t len, const char *what);
int power_copy(const char *from, const char *to);

/* states.c: replay d's log from its "pre" mark on and judge states (see
 * above) into r; before is SRC's state as the pre mark found it.  0, or
 * -errno (err: the log cannot be read). */
struct judge_state;
int power_judge_states(const struct power_opts *o, struct power_disk *d,
		       const struct judge_state *before, struct power_result *r, char *err,
		       size_t len);

/* report.c: one row per filesystem x fork x fixture. */
struct power_row {
	char fs[16], mode[40], fixture[64];
	struct power_result r;
};
void power_print_header(void);
void power_print_row(const struct power_row *w);
/* check's shape ({"rows": [{"name", "rules": {"F1": {"result", "level"},
 * ..., "C3", "C4"}}]}), path "-" for stdout: 0 or -errno. */
int power_write_json(const char *path, const struct power_row *w, size_t n,
		     const char *setup_error);
/* setup_error: the run could not start (an <error> of its own), or NULL. */
int power_write_junit(const char *path, const struct power_row *w, size_t n,
		      const char *setup_error);

#endif
