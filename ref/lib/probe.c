/* probe.c - learn what a filesystem can do by trying it.
 *
 * Every capability is tried in a scratch directory inside DIR that is
 * removed afterwards: statfs magic numbers say which filesystem it is, not
 * what a given mount allows (xfs reflink=0, overlayfs over ext4, ...).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "internal.h"

#ifndef XFS_SUPER_MAGIC
#define XFS_SUPER_MAGIC 0x58465342
#endif

static const struct {
	uint64_t magic;
	const char *name;
} fs_names[] = {
	{ EXT4_SUPER_MAGIC, "ext4" },
	{ XFS_SUPER_MAGIC, "xfs" },
	{ BTRFS_SUPER_MAGIC, "btrfs" },
	{ TMPFS_MAGIC, "tmpfs" },
	{ OVERLAYFS_SUPER_MAGIC, "overlay" },
	{ NFS_SUPER_MAGIC, "nfs" },
	{ 0x65735546, "fuse" },
	{ 0x2fc12fc1, "zfs" },
};

static const char *fs_name(uint64_t magic)
{
	for (size_t i = 0; i < sizeof fs_names / sizeof fs_names[0]; i++)
		if (fs_names[i].magic == magic)
			return fs_names[i].name;
	return "unknown";
}

static int make_file(int dir, const char *name, off_t hole_then_data)
{
	int fd = openat(dir, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	/* 1 MiB hole, then 64 KiB of data: enough for any allocation unit. */
	static const char data[65536] = { 1 };
	if (sf_pwrite_full(fd, data, sizeof data, hole_then_data) < 0 || fsync(fd) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

static int try_seek_hole(int fd)
{
	/* Filesystems without hole tracking report all data from offset 0
	 * (the generic SEEK_DATA of fs/read_write.c), which is not a hole. */
	off_t d = lseek(fd, 0, SEEK_DATA);
	if (d < 0)
		return errno;
	return d > 0 ? 0 : EOPNOTSUPP;
}

static int try_copy_range(int sfd, int dir)
{
	int dfd = openat(dir, "range", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (dfd < 0)
		return errno;
	off_t in = 1 << 20, out = 0;
	ssize_t n = copy_file_range(sfd, &in, dfd, &out, 4096, 0);
	int r = n > 0 ? 0 : n == 0 ? EOPNOTSUPP : errno;
	close(dfd);
	return r;
}

static int try_reflink(int sfd, int dir)
{
	int dfd = openat(dir, "clone", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (dfd < 0)
		return errno;
	int r = ioctl(dfd, FICLONE, sfd) == 0 ? 0 : errno;
	close(dfd);
	return r;
}

static int try_rename_noreplace(int dir)
{
	int fd = openat(dir, "a", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno;
	close(fd);
	/* Must refuse to replace "file" and succeed onto a free name. */
	if (renameat2(dir, "a", dir, "file", RENAME_NOREPLACE) == 0)
		return EINVAL;
	if (errno != EEXIST)
		return errno;
	return renameat2(dir, "a", dir, "b", RENAME_NOREPLACE) == 0 ? 0 : errno;
}

static void probe_in(int dir, struct snapfork_probe *p)
{
	int fd = make_file(dir, "file", 1 << 20);
	if (fd < 0) {
		p->hardlink = p->reflink = p->seek_hole = p->copy_range = p->rename_noreplace = -fd;
		return;
	}
	p->hardlink = linkat(dir, "file", dir, "link", 0) == 0 ? 0 : errno;
	p->reflink = try_reflink(fd, dir);
	p->seek_hole = try_seek_hole(fd);
	p->copy_range = try_copy_range(fd, dir);
	p->rename_noreplace = try_rename_noreplace(dir);
	errno = 0;
	p->link_max = fpathconf(fd, _PC_LINK_MAX);
	close(fd);
}

_Static_assert(sizeof(struct snapfork_probe) == SNAPFORK_PROBE_SIZE_VER1,
	       "snapfork_probe changed: append fields and add a _VER2 size");

int snapfork_probe_at(int dirfd, const char *dir, struct snapfork_probe *out)
{
	struct snapfork_probe p;
	memset(&p, 0, sizeof p);
	p.size = sizeof p;
	p.link_max = -1;
	if (!sf_struct_size_ok(out, SNAPFORK_PROBE_SIZE_VER1))
		return -EINVAL;
	int d = openat(dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d < 0)
		return -errno;
	struct statfs sfs;
	struct statvfs svfs;
	if (fstatfs(d, &sfs) < 0 || fstatvfs(d, &svfs) < 0) {
		int e = errno;
		close(d);
		return -e;
	}
	p.fs_magic = (uint64_t)sfs.f_type;
	snprintf(p.fstype, sizeof p.fstype, "%s", fs_name(p.fs_magic));
	p.alloc_unit = svfs.f_frsize;
	char scratch[NAME_MAX + 1];
	/* A staging directory of its own (locked: a fork's sweep leaves it
	 * alone; left by a killed probe, the next sweep removes it). */
	int s = sf_stage_create(d, "probe", scratch);
	int r = s < 0 ? s : 0, made = s >= 0;
	if (r == 0) {
		probe_in(s, &p);
		/* Remove what probe_in may have made by name: cleanup needs no
		 * open(2) that could fail and leave the scratch behind. */
		static const char *const made_here[] = {
			"file", "link", "clone", "range", "a", "b"
		};
		for (size_t i = 0; i < sizeof made_here / sizeof made_here[0]; i++)
			unlinkat(s, made_here[i], 0);
	}
	if (made && unlinkat(d, scratch, AT_REMOVEDIR) < 0)
		sf_rmtree_at(d, scratch);
	if (made)
		close(s); /* its lock, once it is gone */
	close(d);
	if (r == 0)
		sf_struct_out(out, &p, sizeof p);
	return r;
}

int snapfork_probe(const char *dir, struct snapfork_probe *out)
{
	return snapfork_probe_at(AT_FDCWD, dir, out);
}
