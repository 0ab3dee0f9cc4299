/* wrapio.h - system calls wrapped for the tests (wrap_*.c, the library
 * snapfork_wrapio): link it and give -Wl,--wrap=CALL for each one the
 * test wants; one it wraps itself stays its own. */
#ifndef SNAPFORK_WRAPIO_H
#define SNAPFORK_WRAPIO_H

#include <sys/types.h>

extern int tt_fsyncs;               /* fsync calls, failed ones included */
extern int tt_fsync_err;            /* non-zero: fsync fails with it */
extern int tt_close_err;            /* non-zero: close closes, then fails with it */
extern int tt_fixed_random;         /* non-zero: getrandom gives 0x5e bytes */
extern mode_t tt_mode_before_chmod; /* st_mode when fchmod was last called */

#endif
