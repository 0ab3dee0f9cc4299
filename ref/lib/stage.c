/* stage.c - build the fork out of sight, then publish it in one rename.
 *
 * The staging directory sits beside DST (same filesystem, so the rename is
 * atomic) under a name no user picks: ".<dst>.snapfork-<pid>-<rand>".
 * renameat2(RENAME_NOREPLACE) publishes it only if DST still does not
 * exist (Linux 3.15; ext4, xfs, btrfs, tmpfs and overlayfs support it).
 *
 * The fork holds an exclusive flock(2) on its staging directory for its
 * whole life, so a staging directory nobody holds belongs to a fork that
 * died (the kernel releases a process's flocks when it exits, however it
 * exits; a pid would be reused) and clean.c may remove it.  The lock is
 * taken after mkdir: a sweep in between could lock and remove the new
 * directory, so the fork checks, once it holds the lock, that the name is
 * still the directory it locked, and takes another name if not.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

/* fchmodat2 is 452 where the syscall table is asm-generic's and on x86
 * (alpha and MIPS number it otherwise: glibc's way only there). */
#if !defined(SYS_fchmodat2) &&                                                                     \
	(defined(__x86_64__) || defined(__i386__) || defined(__aarch64__) || defined(__arm__) ||   \
	 defined(__riscv) || defined(__powerpc__) || defined(__s390__) || defined(__loongarch__))
#define SYS_fchmodat2 452
#endif

/* fchmodat(AT_SYMLINK_NOFOLLOW) without /proc: 0 or -errno.  fchmodat2
 * (Linux 6.6) takes the flag itself, while glibc before 2.39 emulates it
 * through an O_PATH descriptor and /proc/self/fd/N, which fails with
 * EACCES where a non-root user cannot reach /proc (a "/" of mode 0700).
 * Before 6.6 (ENOSYS), or under a seccomp filter that refuses a syscall
 * it does not know (EPERM: the retry gives the true answer): glibc's way. */
static int chmod_nofollow(int parent, const char *name, mode_t mode)
{
#ifdef SYS_fchmodat2
	if (syscall(SYS_fchmodat2, parent, name, mode, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	if (errno != ENOSYS && errno != EPERM)
		return -errno;
#endif
	return fchmodat(parent, name, mode, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

int sf_stage_mkdir(int parent, const char *name)
{
	if (mkdirat(parent, name, 0700) < 0)
		return -errno;
	/* The caller's umask may take the owner's bits too (umask 0777 makes
	 * it 0000): root opens it anyway (CAP_DAC_OVERRIDE), anyone else gets
	 * EACCES.  The owner may always chmod it back to 0700.  Only then,
	 * and without following a symlink swapped in since (chmod_nofollow; a
	 * symlink gets EOPNOTSUPP). */
	struct stat st;
	int e = fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
	if (e == 0 && !S_ISDIR(st.st_mode))
		return -EEXIST; /* not the directory we made: leave it */
	if (e == 0 && (st.st_mode & 0700) != 0700)
		e = chmod_nofollow(parent, name, 0700);
	if (e < 0)
		unlinkat(parent, name, AT_REMOVEDIR); /* ours, and empty */
	/* Made, then gone (a sweep took it): not the parent's ENOENT. */
	return e == -ENOENT ? -EAGAIN : e;
}

/* fd is the directory at parent/name: lock it, and make sure the name
 * still refers to it.  0, or -EAGAIN when a sweep got there first (it
 * removes the directory: take another name). */
static int claim(int parent, const char *name, int fd)
{
	int r;
	while ((r = flock(fd, LOCK_EX | LOCK_NB)) < 0 && errno == EINTR)
		;
	if (r < 0 && errno == EWOULDBLOCK)
		return -EAGAIN;
	/* No flock on this filesystem (EOPNOTSUPP, EINVAL, EBADF: NFS
	 * emulates flock with byte-range locks, which a directory opened
	 * read-only cannot take): a sweep cannot lock it either, so it
	 * leaves it; the fork goes on unlocked.  Anything else (ENOLCK: the
	 * kernel is out of lock records) fails the fork rather than run
	 * without the lock a sweep relies on. */
	if (r < 0 && errno != EOPNOTSUPP && errno != EINVAL && errno != EBADF && errno != ENOSYS)
		return -errno;
	struct stat a, b;
	if (fstat(fd, &a) < 0)
		return -errno;
	if (fstatat(parent, name, &b, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? -EAGAIN : -errno;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino ? 0 : -EAGAIN;
}

int sf_stage_create(int parent, const char *dstname, char out[static NAME_MAX + 1])
{
	for (int tries = 0; tries < 16; tries++) {
		sf_tmpname(dstname, out);
		int r = sf_stage_mkdir(parent, out);
		if (r == -EEXIST || r == -EAGAIN) /* taken, or swept meanwhile */
			continue;
		if (r < 0)
			return r; /* ENOENT here: the parent itself is gone */
		int fd = openat(parent, out, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT)
			continue;
		r = fd < 0 ? -errno : claim(parent, out, fd);
		if (r == 0)
			return fd;
		if (r != -EAGAIN) /* ours, and empty: gone before its lock */
			unlinkat(parent, out, AT_REMOVEDIR);
		if (fd >= 0)
			close(fd);
		if (r != -EAGAIN)
			return r;
	}
	return -EEXIST;
}

int sf_stage_is_name(const char *name)
{
	/* "." BASE ".snapfork-" DIGITS "-" 8 hex digits, BASE not empty. */
	static const char tag[] = ".snapfork-";
	size_t n = strlen(name);
	if (n < 1 + 1 + sizeof tag - 1 + 1 + 1 + 8 || name[0] != '.')
		return 0;
	const char *p = name + n - 8;
	for (size_t i = 0; i < 8; i++)
		if (!strchr("0123456789abcdef", p[i])) /* p[i] is never the NUL */
			return 0;
	if (*--p != '-')
		return 0;
	const char *digits = p;
	while (p > name && p[-1] >= '0' && p[-1] <= '9')
		p--;
	if (p == digits || (size_t)(p - name) < 1 + 1 + sizeof tag - 1)
		return 0;
	return memcmp(p - (sizeof tag - 1), tag, sizeof tag - 1) == 0;
}

int sf_stage_publish(int parent, const char *stage, const char *dst)
{
	if (renameat2(parent, stage, parent, dst, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	/* No RENAME_NOREPLACE here (EINVAL from the filesystem, ENOSYS from an
	 * old kernel).  rename(2) of a directory replaces only an *empty*
	 * directory, so check first; the window left is between the two calls. */
	struct stat st;
	if (fstatat(parent, dst, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return -EEXIST;
	if (errno != ENOENT)
		return -errno;
	return renameat(parent, stage, parent, dst) == 0 ? 0 : -errno;
}

static int rm_children(int dir, unsigned depth);

static int rm_entry(int dir, const char *name, unsigned depth)
{
	if (unlinkat(dir, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR)
		return -errno;
	/* An empty directory goes without being opened. */
	if (unlinkat(dir, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
		return 0;
	if (depth > 4096)
		return -ELOOP;
	int sub = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub < 0)
		return -errno;
	/* A directory may have its final mode already, e.g. 0500: we made it,
	 * so make it writable again before emptying it. */
	fchmod(sub, 0700);
	int r = rm_children(sub, depth + 1);
	close(sub);
	if (r == 0 && unlinkat(dir, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		r = -errno;
	return r;
}

static int rm_children(int dir, unsigned depth)
{
	DIR *d;
	int r = sf_opendir_dup(dir, &d);
	if (r < 0)
		return r;
	struct dirent *de;
	/* Unlinking entries while reading the directory is fine: getdents
	 * keeps returning the entries not yet removed. */
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		int e = rm_entry(dir, de->d_name, depth);
		if (e < 0 && r == 0)
			r = e;
	}
	closedir(d);
	return r;
}

int sf_rmtree_at(int dirfd, const char *name)
{
	return rm_entry(dirfd, name, 0);
}
