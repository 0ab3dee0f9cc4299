/* wrap_close.c - close failed on demand after it closed, as Linux frees
 * the descriptor even when close reports EIO (close(2))
 * (-Wl,--wrap=close; wrapio.h). */
#include <errno.h>
#include <unistd.h>

#include "wrapio.h"

int tt_close_err;

int __real_close(int fd);
int __wrap_close(int fd);
int __wrap_close(int fd)
{
	int r = __real_close(fd);
	if (tt_close_err) {
		errno = tt_close_err;
		return -1;
	}
	return r;
}
