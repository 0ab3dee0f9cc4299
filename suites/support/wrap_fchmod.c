/* wrap_fchmod.c - the mode a file had when fchmod came to set its final
 * one (-Wl,--wrap=fchmod; wrapio.h): until then a file the library
 * creates must be open to no one but its owner. */
#include <sys/stat.h>

#include "wrapio.h"

mode_t tt_mode_before_chmod;

int __real_fchmod(int fd, mode_t mode);
int __wrap_fchmod(int fd, mode_t mode);
int __wrap_fchmod(int fd, mode_t mode)
{
	struct stat st;
	tt_mode_before_chmod = fstat(fd, &st) == 0 ? st.st_mode : 0;
	return __real_fchmod(fd, mode);
}
