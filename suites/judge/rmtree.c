/* rmtree.c - remove a tree fd-relative (deeper than PATH_MAX too),
 * making directories writable first.  Used by the harness for scratch
 * trees and for F8, which deletes a snapshot under a live mapping. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "judge.h"

static int rm_at(int dir, const char *name)
{
	if (unlinkat(dir, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -errno;
	int fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	fchmod(fd, 0700);
	int dup_fd = dup(fd), r = 0;
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			int e = rm_at(fd, de->d_name);
			r = r ? r : e;
		}
	}
	if (d)
		closedir(d);
	else if (dup_fd >= 0)
		close(dup_fd);
	close(fd);
	if (unlinkat(dir, name, AT_REMOVEDIR) < 0 && errno != ENOENT && r == 0)
		r = -errno;
	return r;
}

int judge_remove_tree(const char *path)
{
	return path ? rm_at(AT_FDCWD, path) : 0;
}
