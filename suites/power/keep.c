/* keep.c - what --keep keeps (power.h): the first bad state's disk image,
 * the whole log and the commands' log, named by filesystem, fork and
 * fixture so that several rows keep side by side. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "power.h"

void power_keep_name(const struct power_opts *o, char *out, size_t len, const char *what)
{
	char mode[48];
	size_t k = 0;
	/* "library --fsync" -> "library-fsync": a file name without spaces */
	for (const char *p = o->mode; *p && k + 1 < sizeof mode; p++)
		if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
			mode[k++] = *p;
		else if (k && mode[k - 1] != '-')
			mode[k++] = '-';
	while (k && mode[k - 1] == '-')
		k--;
	mode[k] = '\0';
	snprintf(out, len, "%s/%s-%s-%s-%s", o->keep, o->fs, mode, o->f->name, what);
}

/* A sparse copy of from at to (its data extents only: SEEK_DATA), to
 * replacing what was there: 0 or -errno.  Here rather than cp, which a
 * guest's busybox may answer. */
int power_copy(const char *from, const char *to)
{
	int in = open(from, O_RDONLY | O_CLOEXEC), r = 0;
	int out = in < 0 ? -1 : open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	struct stat st;
	if (in < 0 || out < 0 || fstat(in, &st) < 0 || ftruncate(out, st.st_size) < 0)
		r = -errno;
	for (off_t at = 0; r == 0 && at < st.st_size;) {
		off_t data = lseek(in, at, SEEK_DATA), end;
		if (data < 0) /* ENXIO: no data past at */
			break;
		if ((end = lseek(in, data, SEEK_HOLE)) < 0) {
			r = -errno;
			break;
		}
		off_t src = data, dst = data; /* loff_t: off_t on 64-bit Linux */
		while (r == 0 && src < end) {
			ssize_t n = copy_file_range(in, &src, out, &dst, (size_t)(end - src), 0);
			r = n < 0 ? -errno : n == 0 ? -EIO : 0;
		}
		at = end;
	}
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) < 0 && r == 0)
		r = -errno;
	return r;
}
