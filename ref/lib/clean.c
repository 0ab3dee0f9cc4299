/* clean.c - remove what forks that died left beside their DST: staging
 * directories (stage.c) whose lock nobody holds (CONTRACT.md C2).
 *
 * flock(2) locks belong to the open file description and go when its last
 * descriptor is closed (fs/locks.c, locks_remove_file): when the fork
 * exits, however it exits, unless a process it started inherited the
 * descriptor (the library opens it O_CLOEXEC, so only a fork(2) without
 * exec keeps it, and then that process is still the fork's).  So a lock
 * that can be taken proves its fork is gone.  We hold the lock while we
 * remove: a fork that creates a staging directory under that very name
 * meanwhile cannot lock it (stage.c then takes another name).  Only
 * directories with a staging name are looked at, never followed through a
 * symlink.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "internal.h"

_Static_assert(sizeof(struct snapfork_clean) == SNAPFORK_CLEAN_SIZE_VER1,
	       "snapfork_clean changed: append fields and add a _VER2 size");

enum { REMOVED = 0, LIVE = 1, NOT_STAGING = 2 };

/* What one staging directory is: REMOVED, LIVE, NOT_STAGING, or -errno. */
static int reap(int dir, const char *name)
{
	int fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) /* gone meanwhile (a fork published it), or a file or
		     * symlink with such a name (unshare's temporary file) */
		return errno == ENOENT || errno == ENOTDIR || errno == ELOOP ? NOT_STAGING : -errno;
	int r = LIVE;
	struct stat a, b;
	/* Without the lock (held, or no flock here) we cannot tell: live.
	 * Removed while we hold it, so a fork that made a staging directory
	 * of that very name meanwhile cannot claim it (stage.c). */
	if (flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &a) == 0 &&
	    fstatat(dir, name, &b, AT_SYMLINK_NOFOLLOW) == 0 && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino)
		r = sf_rmtree_at(dir, name);
	close(fd);
	return r;
}

/* A filesystem shared between machines, where flock(2) on a directory
 * is local to each (NFS has no directory .flock, fs/nfs/dir.c; SMB, FUSE,
 * 9p, Ceph, AFS alike): another machine's live fork holds no lock we can
 * see, so nothing there is known to be dead. */
static int shared_fs(int dir)
{
	static const unsigned long magic[] = {
		0x6969,     /* NFS */
		0xff534d42, /* CIFS */
		0xfe534d42, /* SMB2 */
		0x517b,     /* SMB */
		0x65735546, /* FUSE */
		0x01021997, /* 9p */
		0x00c36400, /* Ceph */
		0x5346414f, /* AFS */
		0x6b414653, /* kAFS */
	};
	struct statfs sfs;
	if (fstatfs(dir, &sfs) < 0)
		return 1; /* cannot tell: leave everything */
	for (size_t i = 0; i < sizeof magic / sizeof *magic; i++)
		if ((unsigned long)sfs.f_type == magic[i])
			return 1;
	return 0;
}

int sf_stage_sweep(int dir, struct snapfork_clean *c)
{
	DIR *d;
	int r = sf_opendir_dup(dir, &d), first = 0, shared = shared_fs(dir);
	if (r < 0)
		return r;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!sf_stage_is_name(de->d_name) ||
		    (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
			continue;
		r = shared ? LIVE : reap(dir, de->d_name);
		if (r == NOT_STAGING)
			continue;
		if (r < 0 && first == 0)
			first = r;
		if (!c)
			continue;
		c->removed += r == REMOVED;
		c->live += r == LIVE;
		c->failed += r < 0;
		if (c->each)
			c->each(c->arg, de->d_name, r);
	}
	closedir(d);
	return first;
}

int snapfork_clean_at(int dirfd, const char *dir, struct snapfork_clean *c)
{
	if (c && c->size < SNAPFORK_CLEAN_SIZE_VER1)
		return -EINVAL;
	int fd = openat(dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = sf_stage_sweep(fd, c);
	close(fd);
	return r;
}

int snapfork_clean(const char *dir, struct snapfork_clean *c)
{
	return snapfork_clean_at(AT_FDCWD, dir, c);
}
