/* wrap_getrandom.c - getrandom fixed on demand (-Wl,--wrap=getrandom;
 * wrapio.h): the library's staging and temporary names (sf_tmpname)
 * are then known beforehand, to take one first. */
#include <string.h>
#include <sys/random.h>

#include "wrapio.h"

int tt_fixed_random;

ssize_t __real_getrandom(void *buf, size_t n, unsigned flags);
ssize_t __wrap_getrandom(void *buf, size_t n, unsigned flags);
ssize_t __wrap_getrandom(void *buf, size_t n, unsigned flags)
{
	if (!tt_fixed_random)
		return __real_getrandom(buf, n, flags);
	memset(buf, 0x5e, n);
	return (ssize_t)n;
}
