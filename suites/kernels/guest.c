/* guest.c - a kernel's run under QEMU (kernels.h): boot, wait for the
 * kernel's line, then follow the job leg by leg.  The job marks each
 * leg's start and end on the console (run.c); each mark gives the next
 * step its own limit, so a hung leg costs its own limit only (the job
 * stops it with `timeout` first; this limit is for a guest that stopped
 * answering altogether).  A panic or a hang is an ERROR in its time. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "judge.h"
#include "kernels.h"
#include "vm.h"

#define LEG_SLACK_S 60u /* a leg's cleanup after its limit, on a slow TCG guest */

/* The console holds the line that starts with what, complete. */
static int has(const struct vm *v, const void *what)
{
	const char *p = v->out ? strstr(v->out, what) : NULL;
	return p && strchr(p, '\n') != NULL;
}

/* A complete mark line or the job's end at or after *from. */
static int progressed(const struct vm *v, const void *arg)
{
	size_t from = *(const size_t *)arg;
	if (!v->out || from >= v->len)
		return 0;
	const char *m = strstr(v->out + from, "SNAPFORK-LEG ");
	const char *d = strstr(v->out + from, "SNAPFORK-JOB-DONE");
	const char *p = m && (!d || m < d) ? m : d;
	return p && strchr(p, '\n') != NULL;
}

static void boot_error(struct kern_result *r, const struct vm *v, int rc, const char *what,
		       unsigned limit)
{
	char con[900], q[300];
	vm_console_tail(v, con, sizeof con);
	vm_qemu_tail(v, q, sizeof q);
	/* The panic's own line first: the tail is mostly its register dump. */
	char panic[200] = "";
	const char *p = v->out ? strstr(v->out, "Kernel panic") : NULL;
	if (p)
		snprintf(panic, sizeof panic, "the kernel panicked: %.*s; ", (int)strcspn(p, "\r\n"), p);
	if (rc == -ETIMEDOUT)
		snprintf(r->error, sizeof r->error, "%s within %u s (time limit); %sconsole: %s", what,
			 limit, panic, con);
	else if (rc == -EINTR)
		snprintf(r->error, sizeof r->error, "%s: stopped by signal %d", what,
			 child_interrupted());
	else
		snprintf(r->error, sizeof r->error,
			 "%s: QEMU exited (panic=-1 and -no-reboot end a crashed guest); %sQEMU: %s; "
			 "console: %s",
			 what, panic, q, con);
}

/* Follow the marks until the job's end.  A --job has no marks: it is
 * one leg of leg_timeout. */
static int follow(const struct kern_opts *o, struct kern_result *r, struct vm *v)
{
	size_t at = (size_t)(strstr(v->out, "SNAPFORK-KERNEL ") - v->out);
	char step[96] = "the job", name[48];
	for (;;) {
		unsigned limit = o->job ? o->leg_timeout : o->leg_timeout + LEG_SLACK_S;
		int rc = vm_wait(v, o->job ? has : progressed,
				 o->job ? (const void *)"SNAPFORK-JOB-DONE" : &at, (int64_t)limit * 1000);
		if (rc < 0) {
			char what[140];
			snprintf(what, sizeof what, "%s did not finish", step);
			boot_error(r, v, rc, what, limit);
			return rc;
		}
		const char *m = strstr(v->out + at, "SNAPFORK-LEG ");
		const char *d = strstr(v->out + at, "SNAPFORK-JOB-DONE");
		if (!m || (d && d < m))
			return 0;
		if (sscanf(m, "SNAPFORK-LEG start %47s", name) == 1)
			snprintf(step, sizeof step, "leg %s", name);
		else if (sscanf(m, "SNAPFORK-LEG end %47s", name) == 1)
			snprintf(step, sizeof step, "the job after leg %s", name);
		at = (size_t)(strchr(m, '\n') + 1 - v->out);
	}
}

static void save_console(const struct kern_result *r, const struct vm *v)
{
	char con[sizeof r->dir + 16];
	snprintf(con, sizeof con, "%s/console.log", r->dir);
	int fd = open(con, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0 && v->out && write(fd, v->out, v->len) < 0) {
		/* the console is in the error already; the log is a convenience */
	}
	if (fd >= 0)
		close(fd);
}

int kern_boot(const struct kern_opts *o, struct kern_result *r, const struct vm_guest *g,
	      const char *disk)
{
	char drive[2 * PATH_MAX + 32], esc[2 * PATH_MAX], run[80], err[1500];
	if (vm_opt_escape(esc, sizeof esc, disk) < 0) {
		snprintf(r->error, sizeof r->error, "%s: %s", disk, strerror(ENAMETOOLONG));
		return -1;
	}
	snprintf(drive, sizeof drive, "file=%s,format=raw,if=virtio", esc);
	const char *extra[] = { "-smp", "2", "-drive", drive, NULL };
	struct vm_start s = { NULL, 0, 0, extra };
	struct vm v;
	vm_init(&v);
	/* QEMU's sockets need a short path (sun_path: 108 bytes). */
	char base[64] = "/tmp/snapfork-kernel-XXXXXX";
	if (!mkdtemp(base)) {
		snprintf(r->error, sizeof r->error, "%s: %s", base, strerror(errno));
		return -1;
	}
	snprintf(run, sizeof run, "%s/run", base);
	int rc = vm_start(&v, "kernel", run, g, &s, err, sizeof err);
	if (rc == 0)
		rc = vm_cont(&v, err, sizeof err);
	if (rc < 0) {
		snprintf(r->error, sizeof r->error, "QEMU did not start: %s", err);
	} else if ((rc = vm_wait(&v, has, "SNAPFORK-KERNEL ", (int64_t)o->boot_timeout * 1000)) < 0) {
		boot_error(r, &v, rc, "the kernel did not reach the job", o->boot_timeout);
	} else {
		const char *k = strstr(v.out, "SNAPFORK-KERNEL ") + 16;
		snprintf(r->uname, sizeof r->uname, "%.*s", (int)strcspn(k, "\r\n"), k);
		if ((rc = follow(o, r, &v)) == 0)
			vm_reap(&v, 20000); /* it powers off */
	}
	vm_stop(&v);
	judge_remove_tree(base);
	save_console(r, &v);
	free(v.out);
	return rc < 0 ? -1 : 0;
}
