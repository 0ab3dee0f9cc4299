/* unshare.c - give one link of a shared mem-file its own inode.
 *
 * MAP_PRIVATE protects the file from the guest's writes, not from writes
 * to the file: a VM that writes a diff snapshot into a hardlinked mem-file
 * would change the snapshot and every fork.  So before writing, a manager
 * copies the file (holes kept) beside itself and renames the copy over
 * this one name; the other names keep the old inode.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static int copy_beside(int dir, const char *base, int sfd, const struct stat *st)
{
	char tmp[NAME_MAX + 1];
	sf_tmpname(base, tmp);
	int dfd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (dfd < 0)
		return -errno;
	struct ctx c;
	memset(&c, 0, sizeof c);
	struct sf_copy res;
	/* A reflink is a separate inode too: writes to it are copied on write. */
	int r = sf_copy_fd(&c, sfd, st, dfd, SNAPFORK_METHOD_AUTO, &res);
	free(c.buf);
	if (r == 0 && fchmod(dfd, st->st_mode & 07777) < 0)
		r = -errno;
	/* Keep the owner where we may; an unprivileged caller owns both anyway. */
	if (r == 0 && fchown(dfd, st->st_uid, st->st_gid) < 0 && errno != EPERM)
		r = -errno;
	if (r == 0 && fsync(dfd) < 0)
		r = -errno;
	if (close(dfd) < 0 && r == 0)
		r = -errno;
	/* rename(2) replaces the name atomically: readers see old or new. */
	if (r == 0 && renameat(dir, tmp, dir, base) < 0)
		r = -errno;
	if (r < 0)
		unlinkat(dir, tmp, 0);
	return r;
}

int snapfork_unshare_at(int dirfd, const char *path, int *unshared)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	int dir;
	if (slash) {
		char *parent = slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
		if (!parent)
			return -ENOMEM;
		dir = openat(dirfd, parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		free(parent);
	} else {
		dir = dirfd == AT_FDCWD ? open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
					: fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	}
	if (dir < 0)
		return -errno;
	int r = 0, sfd = openat(dir, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	if (sfd < 0)
		r = -errno;
	else if (fstat(sfd, &st) < 0)
		r = -errno;
	else if (!S_ISREG(st.st_mode))
		r = -EINVAL;
	if (r == 0 && st.st_nlink > 1)
		r = copy_beside(dir, base, sfd, &st);
	if (r == 0 && unshared)
		*unshared = st.st_nlink > 1;
	if (sfd >= 0)
		close(sfd);
	close(dir);
	return r;
}

int snapfork_unshare(const char *path, int *unshared)
{
	return snapfork_unshare_at(AT_FDCWD, path, unshared);
}
