/* wrap_ftruncate.c - ftruncate failed on demand, and the descriptors open
 * at it audited for close-on-exec (-Wl,--wrap=ftruncate; wrapio.h).  The
 * decompression's last step: its compressed and raw files are both the
 * library's own, open here. */
#include <errno.h>
#include <unistd.h>

#include "testtree.h"
#include "wrapio.h"

int tt_truncate_err;
struct tt_cloexec *tt_truncate_audit;

int __real_ftruncate(int fd, off_t n);
int __wrap_ftruncate(int fd, off_t n);
int __wrap_ftruncate(int fd, off_t n)
{
	if (tt_truncate_audit)
		tt_cloexec_check(tt_truncate_audit, "ftruncate of the raw file", -1);
	if (tt_truncate_err) {
		errno = tt_truncate_err;
		return -1;
	}
	return __real_ftruncate(fd, n);
}
