/* disk.c - the disk stack of a power-cut run (power.h): sparse images on
 * the scratch directory, loop devices over them, dm-log-writes between
 * the test filesystem and its data disk (every write logged, in the
 * order it completed, with its FLUSH/FUA flags: drivers/md/dm-log-writes.c),
 * and, for each crash state, a transient dm-snapshot over the replay
 * image so that the journal replay of a mount and the fsck after it
 * write into the snapshot's store, never into the replay.
 *
 * dmsetup runs with DM_DISABLE_UDEV=1: libdevmapper then makes the
 * /dev/mapper nodes itself, with or without a udev daemon (a guest's
 * initramfs has none; waiting for one that never answers would hang). */
#include <errno.h>
#include <fcntl.h>
#include <linux/dm-ioctl.h>
#include <linux/loop.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child.h"
#include "judge.h"
#include "power.h"

#define DATA_MIB 512u /* xfs wants 300 MiB at least (xfsprogs 5.19 and later) */
#define LOG_MIB 4096u /* sparse: mkfs, the snapshot's files and the fork */
#define COW_MIB 512u
#define SH_LIMIT_S 300u
#define DM "DM_DISABLE_UDEV=1 dmsetup"

static int vsh(const char *log, unsigned limit_s, const char *fmt, va_list ap)
{
	char cmd[8192];
	int n = vsnprintf(cmd, sizeof cmd, fmt, ap);
	if (n < 0 || (size_t)n >= sizeof cmd)
		return -ENAMETOOLONG; /* a truncated command must not run */
	FILE *f = log ? fopen(log, "ae") : NULL;
	if (f) {
		fprintf(f, "$ %s\n", cmd);
		fclose(f);
	}
	return child_sh(cmd, log, child_deadline_ms((int64_t)limit_s * 1000));
}

int power_sh(const struct power_disk *d, unsigned limit_s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vsh(d->cmdlog, limit_s, fmt, ap);
	va_end(ap);
	return r;
}

static int sh_quiet(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh_quiet(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vsh(NULL, 30, fmt, ap);
	va_end(ap);
	return r;
}

static const char *fsck_of(const char *fs)
{
	return !strcmp(fs, "ext4") ? "e2fsck" : !strcmp(fs, "xfs") ? "xfs_repair" : "btrfs";
}

int power_available(const char *fs, char *why, size_t len)
{
	if (strcmp(fs, "ext4") && strcmp(fs, "xfs") && strcmp(fs, "btrfs"))
		return snprintf(why, len, "%s: not a filesystem powercut knows (ext4, xfs, btrfs)",
				fs),
		       -EINVAL;
	if (geteuid() != 0)
		return snprintf(why, len, "needs root (loop devices, device-mapper, mount)"), -EPERM;
	if (sh_quiet("command -v dmsetup") != 0)
		return snprintf(why, len, "dmsetup is not installed (Debian package dmsetup)"),
		       -ENOENT;
	if (sh_quiet("command -v mkfs.%s && command -v %s", fs, fsck_of(fs)) != 0)
		return snprintf(why, len, "mkfs.%s or %s is not installed (Debian package %s)", fs,
				fsck_of(fs),
				!strcmp(fs, "xfs")     ? "xfsprogs"
				: !strcmp(fs, "btrfs") ? "btrfs-progs"
						       : "e2fsprogs"),
		       -ENOENT;
	/* The targets are modules on Debian's kernels: load them when modprobe
	 * can (a guest's init has loaded them already). */
	sh_quiet("modprobe -q dm-log-writes; modprobe -q dm-snapshot");
	if (sh_quiet(DM " targets | grep -q '^log-writes' && " DM
		     " targets | grep -q '^snapshot'") != 0)
		return snprintf(why, len,
				"this kernel has no device-mapper log-writes and snapshot targets "
				"(modules dm-log-writes and dm-snapshot; Debian's kernels have them, "
				"some distributions in an extra package); or run it in a guest of "
				"a Debian kernel: snapfork kernels --kernel linux-image-... --legs "
				"powercut"),
		       -ENODEV;
	return 0;
}

/* A sparse image of mib MiB and a loop device over it (its name in dev),
 * made with the loop driver's own ioctls (loop(4)): busybox's losetup
 * has no --show, and the free device must be the one we bind. */
static int image_loop(struct power_disk *d, const char *img, unsigned mib, char *dev, size_t dlen,
		      char *err, size_t len)
{
	int ifd = open(img, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (ifd < 0 || ftruncate(ifd, (off_t)mib << 20) < 0) {
		int e = errno;
		if (ifd >= 0)
			close(ifd);
		return snprintf(err, len, "%s: %s", img, strerror(e)), -e;
	}
	int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC), r = -EBUSY;
	for (int tries = 0; ctl >= 0 && r == -EBUSY && tries < 16; tries++) {
		int n = ioctl(ctl, LOOP_CTL_GET_FREE);
		if (n < 0) {
			r = -errno;
			break;
		}
		snprintf(dev, dlen, "/dev/loop%d", n);
		int lfd = open(dev, O_RDWR | O_CLOEXEC);
		/* EBUSY: another process bound it first; ask again. */
		r = lfd < 0 ? -errno : ioctl(lfd, LOOP_SET_FD, ifd) == 0 ? 0 : -errno;
		if (lfd >= 0)
			close(lfd);
	}
	if (ctl < 0)
		r = -errno;
	close(ifd);
	if (ctl >= 0)
		close(ctl);
	if (r < 0) {
		dev[0] = '\0';
		return snprintf(err, len, "%s: no loop device for it: %s", img, strerror(-r)), r;
	}
	(void)d;
	return 0;
}

/* Remove a device-mapper device by the control node's ioctl
 * (linux/dm-ioctl.h), not dmsetup: after SIGTERM the harness runs no more
 * commands (suites/child), and what it made must still go.  EBUSY while
 * something (udev's probe) still holds it briefly: retried for a second.
 * Without udev nobody removes the node libdevmapper made: unlinked. */
static int dm_remove(const char *name)
{
	int fd = open("/dev/mapper/control", O_RDWR | O_CLOEXEC), r = -EBUSY;
	if (fd < 0)
		return -errno;
	for (int tries = 0; r == -EBUSY && tries <= 10; tries++) {
		struct dm_ioctl io;
		memset(&io, 0, sizeof io);
		io.version[0] = DM_VERSION_MAJOR; /* minor 0: any kernel of this major */
		io.data_size = sizeof io;
		io.data_start = sizeof io;
		/* The last try defers: the kernel removes it once its last
		 * opener (a lazily detached mount) lets go. */
		io.flags = tries == 10 ? DM_DEFERRED_REMOVE : 0;
		snprintf(io.name, sizeof io.name, "%s", name);
		r = ioctl(fd, DM_DEV_REMOVE, &io) == 0 ? 0 : -errno;
		if (r == -EBUSY && tries < 10)
			usleep(100000);
	}
	close(fd);
	if (r == 0 || r == -ENXIO) { /* ENXIO: no such device (any more) */
		char node[128];
		snprintf(node, sizeof node, "/dev/mapper/%s", name);
		unlink(node);
		return 0;
	}
	return r;
}

static void loop_detach(const char *dev)
{
	int fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		ioctl(fd, LOOP_CLR_FD, 0);
		close(fd);
	}
}

static const char *mkfs_opts(const char *fs)
{
	/* ext4: inode tables and journal written by mkfs, not by a lazy
	 * kernel thread whose writes would fall into the fork's window. */
	return !strcmp(fs, "ext4")  ? "-q -F -E lazy_itable_init=0,lazy_journal_init=0,nodiscard"
	       : !strcmp(fs, "xfs") ? "-q -f -K"
				    : "-q -f -K";
}

/* A short periodic commit (ext4, btrfs: commit=1) shows within seconds
 * what a power cut long after the fork would find: the journal commits
 * metadata on its timer while data written without a flush may still sit
 * in the page cache (ext4 delayed allocation: Documentation/admin-guide/
 * ext4.rst, auto_da_alloc covers replace-by-rename of files only). */
static const char *mount_opts(const char *fs)
{
	return !strcmp(fs, "xfs") ? NULL : "commit=1";
}

/* mount(2) itself: no shell between a path and the kernel. */
static int mount_dev(struct power_disk *d, const char *name, const char *at, const char *opts)
{
	char dev[128];
	snprintf(dev, sizeof dev, "/dev/mapper/%s", name);
	FILE *f = fopen(d->cmdlog, "ae");
	if (f)
		fprintf(f, "# mount -t %s%s%s %s %s\n", d->fs, opts ? " -o " : "", opts ? opts : "", dev,
			at),
			fclose(f);
	return mount(dev, at, d->fs, 0, opts) < 0 ? -errno : 0;
}

int power_disk_open(struct power_disk *d, const char *dir, const char *fs, char *err, size_t len)
{
	memset(d, 0, sizeof *d);
	snprintf(d->dir, sizeof d->dir, "%s", dir);
	snprintf(d->fs, sizeof d->fs, "%s", fs);
	snprintf(d->data, sizeof d->data, "%s/data.img", dir);
	snprintf(d->logimg, sizeof d->logimg, "%s/log.img", dir);
	snprintf(d->replay, sizeof d->replay, "%s/replay.img", dir);
	snprintf(d->cow, sizeof d->cow, "%s/cow.img", dir);
	snprintf(d->mnt, sizeof d->mnt, "%s/mnt", dir);
	snprintf(d->cmdlog, sizeof d->cmdlog, "%s/commands.log", dir);
	snprintf(d->lw, sizeof d->lw, "snapfork-lw-%d", (int)getpid());
	snprintf(d->snap, sizeof d->snap, "snapfork-pc-%d", (int)getpid());
	d->sectors = (uint64_t)DATA_MIB * 2048;
	if (mkdir(d->mnt, 0755) < 0)
		return snprintf(err, len, "%s: %s", d->mnt, strerror(errno)), -errno;
	int r = image_loop(d, d->data, DATA_MIB, d->dloop, sizeof d->dloop, err, len);
	if (r == 0)
		r = image_loop(d, d->logimg, LOG_MIB, d->lloop, sizeof d->lloop, err, len);
	if (r < 0)
		return r;
	/* Up before the create: a create stopped half-way may have made it. */
	d->lw_up = 1;
	if (power_sh(d, SH_LIMIT_S, DM " create %s --table '0 %llu log-writes %s %s'", d->lw,
		     (unsigned long long)d->sectors, d->dloop, d->lloop) != 0)
		return snprintf(err, len, "dmsetup create %s (log-writes) failed (see %s)", d->lw,
				d->cmdlog),
		       -EIO;
	if (power_sh(d, SH_LIMIT_S, "mkfs.%s %s /dev/mapper/%s", fs, mkfs_opts(fs), d->lw) != 0)
		return snprintf(err, len, "mkfs.%s failed (see %s)", fs, d->cmdlog), -EIO;
	d->mounted = 1;
	r = mount_dev(d, d->lw, d->mnt, mount_opts(fs));
	if (r < 0) {
		d->mounted = 0;
		return snprintf(err, len, "mounting the %s disk: %s", fs, strerror(-r)), r;
	}
	return 0;
}

int power_disk_mark(struct power_disk *d, const char *name, char *err, size_t len)
{
	if (power_sh(d, SH_LIMIT_S, DM " message %s 0 mark %s", d->lw, name) != 0)
		return snprintf(err, len, "dmsetup message %s 0 mark %s failed (see %s)", d->lw,
				name, d->cmdlog),
		       -EIO;
	return 0;
}

int power_disk_finish(struct power_disk *d, char *err, size_t len)
{
	if (d->mounted && umount2(d->mnt, 0) < 0)
		return snprintf(err, len, "%s: umount: %s", d->mnt, strerror(errno)), -errno;
	d->mounted = 0;
	if (power_disk_mark(d, "end", err, len) < 0)
		return -EIO;
	/* Removing the target writes the log's last entries and its super
	 * block (their count); the loop devices are no longer needed. */
	int r = d->lw_up ? dm_remove(d->lw) : 0;
	if (r < 0)
		return snprintf(err, len, "removing %s: %s", d->lw, strerror(-r)), r;
	d->lw_up = 0;
	loop_detach(d->dloop);
	loop_detach(d->lloop);
	d->dloop[0] = d->lloop[0] = '\0';
	unlink(d->data);
	r = image_loop(d, d->replay, DATA_MIB, d->rloop, sizeof d->rloop, err, len);
	return r < 0 ? r : image_loop(d, d->cow, COW_MIB, d->cloop, sizeof d->cloop, err, len);
}

int power_state_mount(struct power_disk *d, const char *mnt, char *err, size_t len)
{
	/* Transient ("N"): the store starts empty at each create, so one
	 * COW image serves every state. */
	d->snap_up = 1;
	if (power_sh(d, SH_LIMIT_S, DM " create %s --table '0 %llu snapshot %s %s N 8'", d->snap,
		     (unsigned long long)d->sectors, d->rloop, d->cloop) != 0)
		return snprintf(err, len, "dmsetup create %s (snapshot) failed (see %s)", d->snap,
				d->cmdlog),
		       -EIO;
	int r = mount_dev(d, d->snap, mnt, NULL);
	if (r < 0)
		return snprintf(err, len, "the %s filesystem did not mount (its recovery failed: %s)",
				d->fs, strerror(-r)),
		       -EUCLEAN;
	d->mounted = 2;
	return 0;
}

/* The filesystem's own check, repairing nothing: exit 0 when it found
 * nothing (e2fsck -n, xfs_repair -n, btrfs check --readonly). */
static int fsck(struct power_disk *d)
{
	const char *dev = d->snap;
	if (!strcmp(d->fs, "ext4"))
		return power_sh(d, SH_LIMIT_S, "e2fsck -fn /dev/mapper/%s", dev);
	if (!strcmp(d->fs, "xfs"))
		return power_sh(d, SH_LIMIT_S, "xfs_repair -n /dev/mapper/%s", dev);
	return power_sh(d, SH_LIMIT_S, "btrfs check --readonly /dev/mapper/%s", dev);
}

int power_state_umount(struct power_disk *d, const char *mnt, char *err, size_t len)
{
	int found = 0;
	if (d->mounted == 2 && umount2(mnt, 0) < 0)
		return snprintf(err, len, "%s: umount: %s", mnt, strerror(errno)), -errno;
	if (d->mounted == 2) {
		int rc = fsck(d);
		if (rc != 0) {
			found = 1;
			snprintf(err, len, "%s exited %d after the recovery (see %s)", fsck_of(d->fs),
				 rc, d->cmdlog);
		}
	}
	d->mounted = 0;
	int r = d->snap_up ? dm_remove(d->snap) : 0;
	if (r < 0)
		return snprintf(err, len, "removing %s: %s", d->snap, strerror(-r)), r;
	d->snap_up = 0;
	return found;
}

void power_disk_close(struct power_disk *d, int keep)
{
	if (!d->dir[0])
		return;
	/* Each step on its own: one that fails must not leave the rest up. */
	/* System calls only: after a signal no command runs any more. */
	if (d->mounted) {
		char state[4300];
		snprintf(state, sizeof state, "%s/state", d->dir);
		/* Lazily when busy: the tree is removed next, never through a mount. */
		if (umount2(d->mnt, 0) < 0 && errno == EBUSY)
			umount2(d->mnt, MNT_DETACH);
		if (umount2(state, 0) < 0 && errno == EBUSY)
			umount2(state, MNT_DETACH);
	}
	if (d->snap_up)
		dm_remove(d->snap);
	if (d->lw_up)
		dm_remove(d->lw);
	const char *loops[] = { d->dloop, d->lloop, d->rloop, d->cloop };
	for (size_t i = 0; i < 4; i++)
		if (loops[i][0])
			loop_detach(loops[i]);
	if (!keep)
		judge_remove_tree(d->dir);
	d->dir[0] = '\0';
}
