/* inject.h - fail the N-th call of a system call the library makes.
 *
 * The test binary is linked with -Wl,--wrap=<call> for each call below
 * (the linker's wrapping, cmocka's idiom for mocking): the library's
 * calls land in __wrap_<call>, which counts them while a plan is armed
 * and fails, shortens, runs a hook or kills the process at the chosen
 * one.  Disarmed, every call goes straight to the real one.
 */
#ifndef SNAPFORK_INJECT_H
#define SNAPFORK_INJECT_H

#include <stddef.h>

enum inj_call {
	INJ_OPENAT,
	INJ_MKDIRAT,
	INJ_FSTATAT,
	INJ_LINKAT,
	INJ_SYMLINKAT,
	INJ_READLINKAT,
	INJ_IOCTL,
	INJ_COPY_FILE_RANGE,
	INJ_LSEEK,
	INJ_READ,
	INJ_WRITE,
	INJ_PREAD,
	INJ_PWRITE,
	INJ_FTRUNCATE,
	INJ_FSYNC,
	INJ_FCHMOD,
	INJ_RENAMEAT2, /* renameat2 and renameat */
	INJ_UNLINKAT,
	INJ_MALLOC, /* malloc, calloc, realloc, strdup and strndup */
	INJ_FSTAT,
	INJ_DUP, /* dup and fcntl(F_DUPFD_CLOEXEC) */
	INJ_CLOSE,
	INJ_OPEN, /* open(2), not openat */
	INJ_FDOPENDIR,
	INJ_GETRANDOM,
	INJ_FCHOWN,
	INJ_FSTATFS, /* fstatfs and fstatvfs */
	INJ_SYNC_FILE_RANGE,
	/* The CLI's calls (test_cli_faults only; see inject_cli.c). */
	INJ_MOUNT,
	INJ_FIRST_CLI = INJ_MOUNT, /* the library's calls are those before */
	INJ_UMOUNT2,
	INJ_SYSTEM,
	INJ_MKDIR,
	INJ_CHOWN,
	INJ_CHMOD,
	INJ_STAT,
	INJ_LINK,
	INJ_FOPEN,
	INJ_FALLOCATE, /* posix_fallocate */
	INJ_PATHCONF,
	INJ_MKDTEMP,
	INJ_GETEUID, /* fires as "not root" */
	INJ_REALPATH,
	INJ_PIPE,
	INJ_FORK,
	INJ_FCLOSE,
	INJ_ANY, /* any of the above: for kill points */
	INJ_NCALLS
};

struct inj_plan {
	enum inj_call call;
	unsigned nth;         /* 1-based: which call fires */
	int err;              /* errno to fail with (0: no failure, e.g. only a hook) */
	int persistent;       /* every call from the nth on fires */
	int short_count;      /* read/write/copy: do half the work instead of failing */
	int zero;             /* copy_file_range: return 0 (as "not supported") */
	int kill;             /* raise(SIGKILL) instead (crash tests) */
	void (*hook)(void *); /* run just before the call fires */
	void *hook_arg;
	/* Filters: only calls that match count.  path_has: the call's path
	 * (or system's command) contains it; path_under: the path starts
	 * with it (so path_has cannot match the checkout's own path);
	 * ioctl_req: that ioctl request. */
	const char *path_has;
	const char *path_under;
	unsigned long ioctl_req;
};

void inj_arm(const struct inj_plan *p);
void inj_disarm(void);
/* Calls of this kind seen since inj_arm. */
unsigned inj_count(enum inj_call call);
/* Did the plan fire? */
int inj_fired(void);
const char *inj_name(enum inj_call call);
/* While armed, check at every wrapped call that each descriptor opened
 * since inj_arm is close-on-exec (another thread's exec would inherit
 * it); inj_leak: the first that was not, or NULL. */
void inj_audit_cloexec(int on);
const char *inj_leak(void);
/* For the wrappers: 0 pass the call through, 1 fail it (errno is set),
 * 2 shorten it.  path is what path_has looks at (NULL: no path). */
int inj_hit(enum inj_call call, const char *path);

/* __wrap_NAME: fail with FAIL when the plan fires, else the real call.
 * PATH is the argument path_has looks at (NULL: none). */
#define INJ_WRAP(ret, name, call, proto, args, path, fail)                                         \
	ret __real_##name proto;                                                                   \
	ret __wrap_##name proto;                                                                   \
	ret __wrap_##name proto                                                                    \
	{                                                                                          \
		if (inj_hit(call, path) == 1)                                                      \
			return fail;                                                               \
		return __real_##name args;                                                         \
	}

#endif
