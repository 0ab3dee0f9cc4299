/* mounts.c - what a matrix leg makes (loop images, mounts, a sysctl) and
 * how it is always undone: after each leg, at exit, and on SIGINT/SIGTERM. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "cli.h"
#include "matrix.h"

#define MAX_MOUNTS 16

/* What is mounted right now, newest last. */
static struct {
	char path[PATH_MAX];
	char image[PATH_MAX]; /* loop image to delete, or "" */
} mounts[MAX_MOUNTS];
static int nmounts;
static int saved_protected_hardlinks = -1;

static FILE *leg_log;
static char leg_log_path[PATH_MAX];

void matrix_log_open(const char *path)
{
	leg_log = fopen(path, "we"); /* not inherited by mkfs and the forks */
	snprintf(leg_log_path, sizeof leg_log_path, "%s", path);
}

void matrix_log_close(void)
{
	if (leg_log)
		fclose(leg_log);
	leg_log = NULL;
}

FILE *matrix_log(void)
{
	return leg_log;
}

/* mkfs of a 1 GiB image, a mount, a chown -R of a fixture: seconds each;
 * a tool that hangs (a loop device that never settles) ends here. */
#define SH_LIMIT_MS (600 * 1000)

int matrix_sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof cmd)
		return -1; /* a truncated command must not run */
	if (leg_log) {
		fprintf(leg_log, "$ %s\n", cmd);
		fflush(leg_log);
	}
	int r = child_sh(cmd, leg_log ? leg_log_path : NULL, child_deadline_ms(SH_LIMIT_MS));
	if (r == -ETIMEDOUT && leg_log)
		fprintf(leg_log, "(killed: still running after %d s)\n", SH_LIMIT_MS / 1000);
	return r < 0 ? -1 : r;
}

/* The loop device backed by image ("/dev/loopN"), from sysfs; 0 if none. */
static int loop_of(const char *image, char *dev, size_t len)
{
	DIR *d = opendir("/sys/block");
	struct dirent *e;
	int found = 0;
	while (d && !found && (e = readdir(d))) {
		char path[PATH_MAX], back[PATH_MAX] = "";
		if (strncmp(e->d_name, "loop", 4) != 0)
			continue;
		snprintf(path, sizeof path, "/sys/block/%s/loop/backing_file", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(back, sizeof back, f))
			back[strcspn(back, "\n")] = '\0';
		fclose(f);
		if (strcmp(back, image) == 0) {
			snprintf(dev, len, "/dev/%.50s", e->d_name);
			found = 1;
		}
	}
	if (d)
		closedir(d);
	return found;
}

/* mount -o loop sets LO_FLAGS_AUTOCLEAR, but the kernel detaches the
 * device when its last opener goes, which can trail umount2 (the release
 * runs deferred since Linux 5.x's loop rework).  Wait for it, and detach
 * it ourselves if it stays. */
static void detach_loop(const char *image)
{
	char dev[64];
	for (int i = 0; i < 50 && loop_of(image, dev, sizeof dev); i++) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	if (loop_of(image, dev, sizeof dev)) {
		int fd = open(dev, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			ioctl(fd, LOOP_CLR_FD, 0);
			close(fd);
		}
	}
}

void matrix_unmount_all(void)
{
	while (nmounts > 0) {
		nmounts--;
		if (umount2(mounts[nmounts].path, 0) < 0 && errno != EINVAL && errno != ENOENT)
			umount2(mounts[nmounts].path, MNT_DETACH);
		if (mounts[nmounts].image[0]) {
			detach_loop(mounts[nmounts].image);
			unlink(mounts[nmounts].image);
		}
	}
	if (saved_protected_hardlinks >= 0) {
		FILE *f = fopen("/proc/sys/fs/protected_hardlinks", "w");
		if (f) {
			fprintf(f, "%d\n", saved_protected_hardlinks);
			fclose(f);
		}
		saved_protected_hardlinks = -1;
	}
}

/* A signal is only recorded (suites/child); the legs' loop sees it, and
 * cmd_matrix undoes everything before it exits 128 + the signal. */
void matrix_guard(void)
{
	atexit(matrix_unmount_all);
	child_signals_install();
}

static int remember(const char *path, const char *image)
{
	if (nmounts == MAX_MOUNTS)
		return -1;
	snprintf(mounts[nmounts].path, sizeof mounts[0].path, "%s", path);
	snprintf(mounts[nmounts].image, sizeof mounts[0].image, "%.4000s", image ? image : "");
	nmounts++;
	return 0;
}

int matrix_remember(const char *path)
{
	return remember(path, NULL);
}

void matrix_release(const char *path)
{
	for (int i = nmounts - 1; i >= 0; i--) {
		if (strcmp(mounts[i].path, path) != 0)
			continue;
		if (umount2(path, 0) < 0)
			umount2(path, MNT_DETACH);
		memmove(&mounts[i], &mounts[i + 1], (size_t)(nmounts - i - 1) * sizeof mounts[0]);
		nmounts--;
	}
}

int matrix_make_fs(const char *base, const char *name, const char *fs, const char *mkfs_opts,
		   char *mnt, size_t len, char *why, size_t wlen)
{
	char dir[PATH_MAX], image[PATH_MAX + 16];
	snprintf(dir, sizeof dir, "%s/%s", base, name);
	snprintf(mnt, len, "%s/mnt", dir);
	snprintf(image, sizeof image, "%s/image", dir);
	if (mkdir(dir, 0755) < 0 || mkdir(mnt, 0755) < 0) {
		snprintf(why, wlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (strcmp(fs, "tmpfs") == 0) {
		if (mount("tmpfs", mnt, "tmpfs", 0, mkfs_opts) < 0) {
			snprintf(why, wlen, "mount -t tmpfs -o %s: %s", mkfs_opts, strerror(errno));
			return -1;
		}
		return remember(mnt, NULL);
	}
	if (matrix_sh("command -v mkfs.%s", fs) != 0) {
		snprintf(why, wlen, "mkfs.%s is not installed (Debian package %s)", fs,
			 !strcmp(fs, "xfs")     ? "xfsprogs"
			 : !strcmp(fs, "btrfs") ? "btrfs-progs"
						: "e2fsprogs");
		return -1;
	}
	if (matrix_sh("command -v mount && command -v truncate") != 0) {
		snprintf(why, wlen,
			 "mount or truncate is not installed (Debian packages mount, coreutils)");
		return -1;
	}
	if (matrix_sh("truncate -s 1G '%s' && mkfs.%s %s '%s'", image, fs, mkfs_opts, image) != 0) {
		snprintf(why, wlen, "mkfs.%s %s failed (see the leg's log)", fs, mkfs_opts);
		return -1;
	}
	/* Remembered first: a mount stopped by a signal or its limit may have
	 * happened (matrix_unmount_all tolerates one that did not). */
	if (remember(mnt, image) < 0) {
		snprintf(why, wlen, "more than %d mounts at once", MAX_MOUNTS);
		unlink(image);
		return -1;
	}
	if (matrix_sh("mount -o loop '%s' '%s'", image, mnt) != 0) {
		snprintf(why, wlen, "mounting the %s image failed (see the leg's log)", fs);
		return -1;
	}
	chmod(mnt, 0755);
	return 0;
}

int matrix_protect_hardlinks(void)
{
	FILE *f = fopen("/proc/sys/fs/protected_hardlinks", "r+");
	if (!f)
		return -errno;
	int r = 0;
	errno = 0;
	if (fscanf(f, "%d", &saved_protected_hardlinks) != 1 || fseek(f, 0, SEEK_SET) ||
	    fputs("1\n", f) < 0)
		r = -(errno ? errno : EIO);
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	return r;
}
