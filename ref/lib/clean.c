/* clean.c - remove what forks that died left beside their DST: staging
 * directories (stage.c) whose lock nobody holds (CONTRACT.md C2).
 *
 * flock(2) locks belong to the open file description, and the kernel drops
 * them when the last descriptor of a process that died is closed
 * (fs/locks.c, locks_remove_file), so a lock that can be taken proves its
 * fork is gone.  We hold the lock while we remove: a fork that creates a
 * staging directory under that very name meanwhile cannot lock it (stage.c
 * then takes another name).  Only directories with a staging name are
 * looked at, never followed through a symlink.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

_Static_assert(sizeof(struct snapfork_clean) == SNAPFORK_CLEAN_SIZE_VER1,
	       "snapfork_clean changed: append fields and add a _VER2 size");

/* What one staging directory is: 0 removed, 1 live, or -errno. */
static int reap(int dir, const char *name)
{
	int fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno; /* gone meanwhile: a fork published it */
	int r = 1;
	struct stat a, b;
	/* Without the lock (held, or no flock here) we cannot tell: live. */
	if (flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &a) == 0 &&
	    fstatat(dir, name, &b, AT_SYMLINK_NOFOLLOW) == 0 && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino)
		r = sf_rmtree_at(dir, name);
	close(fd);
	return r;
}

int sf_stage_sweep(int dir, struct snapfork_clean *c)
{
	DIR *d;
	int r = sf_opendir_dup(dir, &d), first = 0;
	if (r < 0)
		return r;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!sf_stage_is_name(de->d_name) ||
		    (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
			continue;
		r = reap(dir, de->d_name);
		if (r < 0 && first == 0)
			first = r;
		if (!c)
			continue;
		c->removed += r == 0;
		c->live += r == 1;
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
