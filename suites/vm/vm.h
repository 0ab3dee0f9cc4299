/* vm.h - one QEMU guest under the harness's control: started with the
 * guest of guest.sh, its serial console read through a socket, driven over
 * QMP, and always killed and reaped (on every exit path, signals too).
 * It knows nothing of forks: vmcheck.h builds the checks on it. */
#ifndef SNAPFORK_VM_H
#define SNAPFORK_VM_H

#include <stddef.h>
#include <sys/types.h>

#include "child.h"
#include "qmp.h"

/* What every guest of a run shares: QEMU, the kernel and initramfs, the
 * RAM size.  A fork must be restored with the template's machine. */
struct vm_guest {
	const char *qemu; /* the qemu-system-x86_64 binary */
	const char *kernel, *initrd;
	unsigned mem_mib;
	const char *accel; /* "kvm" or "tcg" (vm_accel_choose); NULL: tcg */
};

/* accel.c: want is "auto" (or NULL), "kvm" or "tcg".  *chosen is "kvm" when
 * /dev/kvm opens read-write and the CPU has vmx/svm (auto, kvm), else "tcg"; why says which and
 * why.  0, or -errno (kvm asked for and refused; an unknown word). */
int vm_accel_choose(const char *want, const char **chosen, char *why, size_t len);

struct vm {
	char name[32]; /* "template", "fork-1", ... */
	struct child proc; /* QEMU; proc.pid 0 once reaped, proc.status then */
	char run[4096]; /* its own directory: sockets, qemu.log, console.log */
	struct qmp qmp;
	int serial; /* the console socket, -1 when closed */
	/* Everything the guest printed; a fork's starts with the template's
	 * unfinished last line (its stream continues the template's). */
	char *out;
	size_t len, cap, start; /* start: where this VM's own output begins */
	long cont_ms; /* when the guest was let run (monotonic ms) */
	long first_ms; /* when its first new counter line arrived, or 0 */
};

/* How a VM starts. */
struct vm_start {
	const char *mem_path; /* memory-backend-file mem-path; NULL: plain RAM */
	int share;            /* 1: MAP_SHARED (a template), 0: MAP_PRIVATE */
	int incoming;         /* -incoming defer: waits for migrate-incoming */
	const char *const *extra; /* more arguments (NULL-terminated), or NULL */
};

/* A VM that never started: safe to vm_stop and to free. */
void vm_init(struct vm *v);
/* Start QEMU for g (paused), connect QMP and the console.  run is made
 * (it must not exist).  0, or -errno with err naming what failed (QEMU's
 * own message when it exited, e.g. a mem-file of the wrong size). */
int vm_start(struct vm *v, const char *name, const char *run, const struct vm_guest *g,
	     const struct vm_start *s, char *err, size_t len);
/* QMP cont; the guest runs from now (cont_ms). */
int vm_cont(struct vm *v, char *err, size_t len);
/* Quit (QMP quit, then SIGTERM, then SIGKILL), reap, close.  Safe to call
 * twice and on a VM that never started. */
void vm_stop(struct vm *v);
/* Wait up to ms for QEMU to exit by itself; reap it: 1 if it exited. */
int vm_reap(struct vm *v, int ms);
/* The last lines of QEMU's own output (stderr), for a report. */
void vm_qemu_tail(const struct vm *v, char *out, size_t len);
/* The last lines of the console, for a report. */
void vm_console_tail(const struct vm *v, char *out, size_t len);

/* Read the console until pred(v, arg) holds: 0; -ETIMEDOUT; -ECHILD when
 * QEMU exited (reaped, status in v->status); -EINTR on SIGINT/SIGTERM. */
int vm_wait(struct vm *v, int (*pred)(const struct vm *, const void *), const void *arg,
	    int64_t timeout_ms);
/* Send a line to the guest's console. */
int vm_send(struct vm *v, const char *line);

/* The guest's lines.  A counter line is "SNAPFORK-COUNTER N tag=T". */
struct vm_count {
	long n;
	char tag[48];
};
/* The counter lines among the complete lines of out[from, len), at most
 * max into c; *ready: whether a "SNAPFORK-READY" line is among them (a
 * guest that boots again). */
size_t vm_counts(const struct vm *v, size_t from, struct vm_count *c, size_t max, int *ready);
/* The unfinished last line of out (from the last newline on). */
const char *vm_partial(const struct vm *v, size_t *n);

/* Signals, time and the last resort of an exit path are suites/child's:
 * child_signals_install, child_interrupted, child_now_ms, child_stop_all. */
/* QEMU's option syntax: a comma in a value is written twice.  0, or
 * -ENAMETOOLONG when out is too small (never a cut path). */
int vm_opt_escape(char *out, size_t len, const char *s);

#endif
