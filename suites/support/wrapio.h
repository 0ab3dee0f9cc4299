/* wrapio.h - system calls wrapped for the tests (wrap_*.c, the library
 * snapfork_wrapio): link it and give -Wl,--wrap=CALL for each one the
 * test wants; one it wraps itself stays its own. */
#ifndef SNAPFORK_WRAPIO_H
#define SNAPFORK_WRAPIO_H

#include <fcntl.h>
#include <stdarg.h>
#include <sys/types.h>

struct tt_cloexec;

extern int tt_fsyncs;               /* fsync calls, failed ones included */
extern int tt_fsync_err;            /* non-zero: fsync fails with it */
extern int tt_close_err;            /* non-zero: close closes, then fails with it */
extern int tt_fixed_random;         /* non-zero: getrandom gives 0x5e bytes */
extern mode_t tt_mode_before_chmod; /* st_mode when fchmod was last called */
extern int tt_truncate_err;         /* non-zero: ftruncate fails with it */
/* Non-NULL: the descriptors open at ftruncate are checked for close-on-exec. */
extern struct tt_cloexec *tt_truncate_audit;

/* In a test's own open or openat wrapper (a variadic function, last named
 * argument flags): its mode argument, which exists only with O_CREAT or
 * O_TMPFILE (open(2)), else 0.  O_TMPFILE's bits include O_DIRECTORY's:
 * all of them must be set (glibc's __OPEN_NEEDS_MODE). */
#define TT_OPEN_MODE(flags, mode)                                                                  \
	do {                                                                                       \
		va_list ap_;                                                                       \
		va_start(ap_, flags);                                                              \
		(mode) = ((flags)&O_CREAT) || ((flags)&O_TMPFILE) == O_TMPFILE                     \
				 ? (mode_t)va_arg(ap_, int)                                        \
				 : 0;                                                              \
		va_end(ap_);                                                                       \
	} while (0)

#endif
