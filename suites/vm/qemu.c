/* qemu.c - starting, stopping and reaping QEMU (see vm.h).  QEMU is a
 * child of suites/child: its own process group, registered, stopped on
 * every exit path and on a signal, PR_SET_PDEATHSIG against a SIGKILLed
 * snapfork. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vm.h"

/* QEMU's option syntax: a comma in a value is written twice. */
int vm_opt_escape(char *out, size_t len, const char *s)
{
	size_t o = 0;
	for (; *s; s++) {
		if (o + 3 > len)
			return -ENAMETOOLONG; /* a cut path would name another file */
		out[o++] = *s;
		if (*s == ',')
			out[o++] = ',';
	}
	out[o] = '\0';
	return 0;
}

/* before + path (escaped) + after; -ENAMETOOLONG rather than a
 * truncated option. */
static int path_opt(char *out, size_t len, const char *before, const char *path,
		    const char *after)
{
	char esc[2 * PATH_MAX];
	if (vm_opt_escape(esc, sizeof esc, path) < 0)
		return -ENAMETOOLONG;
	int n = snprintf(out, len, "%s%s%s", before, esc, after);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* The options that name files: the memory backend (when s has one), the
 * console's chardev socket, the QMP socket. */
struct qemu_paths {
	char size[32];
	char memobj[2 * PATH_MAX + 96];
	char chardev[2 * PATH_MAX + 64];
	char qmp[2 * PATH_MAX + 32];
	char log[PATH_MAX];
};

static int qemu_paths(const struct vm *v, const struct vm_guest *g, const struct vm_start *s,
		      struct qemu_paths *p)
{
	char mem[96], serial[PATH_MAX], qmp[PATH_MAX];
	snprintf(p->size, sizeof p->size, "%uM", g->mem_mib);
	snprintf(mem, sizeof mem, "memory-backend-file,id=mem,size=%s,mem-path=", p->size);
	int n1 = snprintf(serial, sizeof serial, "%s/serial.sock", v->run);
	int n2 = snprintf(qmp, sizeof qmp, "%s/qmp.sock", v->run);
	int n3 = snprintf(p->log, sizeof p->log, "%s/qemu.log", v->run);
	if (n1 >= (int)sizeof serial || n2 >= (int)sizeof qmp || n3 >= (int)sizeof p->log)
		return -ENAMETOOLONG;
	int r = s->mem_path ? path_opt(p->memobj, sizeof p->memobj, mem, s->mem_path,
				       s->share ? ",share=on" : ",share=off")
			    : 0;
	if (r == 0)
		r = path_opt(p->chardev, sizeof p->chardev, "socket,id=ser0,path=", serial,
			     ",server=on,wait=off");
	if (r == 0)
		r = path_opt(p->qmp, sizeof p->qmp, "unix:", qmp, ",server=on,wait=off");
	return r;
}

/* QEMU's output (stderr: its reasons) into log. */
static int spawn(struct vm *v, char *const *argv, const char *log)
{
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	struct child_spec s = { .argv = argv, .out = fd };
	int r = child_start(&v->proc, &s);
	close(fd);
	return r;
}

static int launch(struct vm *v, const struct vm_guest *g, const struct vm_start *s)
{
	struct qemu_paths *p = malloc(sizeof *p);
	int r = p ? qemu_paths(v, g, s, p) : -ENOMEM;
	if (r < 0) {
		free(p);
		return r;
	}
	char *argv[40];
	int n = 0;
	argv[n++] = (char *)g->qemu;
	argv[n++] = "-machine";
	int kvm = g->accel && !strcmp(g->accel, "kvm");
	argv[n++] = s->mem_path ? (kvm ? "pc,accel=kvm,memory-backend=mem" : "pc,accel=tcg,memory-backend=mem")
				: (kvm ? "pc,accel=kvm" : "pc,accel=tcg");
	argv[n++] = "-m";
	argv[n++] = p->size;
	if (s->mem_path) {
		argv[n++] = "-object";
		argv[n++] = p->memobj;
	}
	argv[n++] = "-kernel";
	argv[n++] = (char *)g->kernel;
	argv[n++] = "-initrd";
	argv[n++] = (char *)g->initrd;
	argv[n++] = "-append";
	/* panic=-1 with -no-reboot: a guest that crashes makes QEMU exit. */
	argv[n++] = "console=ttyS0 quiet panic=-1";
	argv[n++] = "-display";
	argv[n++] = "none";
	argv[n++] = "-nodefaults";
	argv[n++] = "-no-user-config";
	argv[n++] = "-no-reboot";
	argv[n++] = "-chardev";
	argv[n++] = p->chardev;
	argv[n++] = "-serial";
	argv[n++] = "chardev:ser0";
	argv[n++] = "-qmp";
	argv[n++] = p->qmp;
	argv[n++] = "-S";
	if (s->incoming) {
		argv[n++] = "-incoming";
		argv[n++] = "defer";
	}
	for (int i = 0; s->extra && s->extra[i] && n < 38; i++)
		argv[n++] = (char *)s->extra[i];
	argv[n] = NULL;
	r = spawn(v, argv, p->log);
	free(p);
	return r;
}

/* Reap v if it exited: 1 if it did. */
static int exited(struct vm *v)
{
	return child_reaped(&v->proc);
}

static int connect_serial(struct vm *v)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(v->run) + sizeof "/serial.sock" > sizeof sa.sun_path)
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, v->run, strlen(v->run));
	strcat(sa.sun_path, "/serial.sock");
	v->serial = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (v->serial < 0)
		return -errno;
	if (connect(v->serial, (struct sockaddr *)&sa, sizeof sa) < 0)
		return -errno;
	return 0;
}

/* Wait for QEMU to make its QMP socket, or to exit (its message is then
 * the error), or for the time limit. */
static int wait_sockets(struct vm *v, int timeout_ms, char *err, size_t len)
{
	char path[sizeof v->run + 16];
	snprintf(path, sizeof path, "%s/qmp.sock", v->run);
	for (int64_t end = child_now_ms() + timeout_ms;; ) {
		struct stat st;
		if (stat(path, &st) == 0)
			return 0;
		if (exited(v) || child_interrupted()) {
			char tail[600];
			vm_qemu_tail(v, tail, sizeof tail);
			snprintf(err, len, "QEMU exited at start: %s", tail);
			return child_interrupted() ? -EINTR : -ECHILD;
		}
		if (child_now_ms() > end) {
			snprintf(err, len, "QEMU made no QMP socket in %d s", timeout_ms / 1000);
			return -ETIMEDOUT;
		}
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

/* QEMU makes its QMP socket before it opens the memory backend: it may
 * still exit (a mem-file of the wrong size).  Short tries, each followed
 * by a look at whether it did, so that its own message is the error. */
static int connect_qmp(struct vm *v, const char *path, int timeout_ms, char *err, size_t len)
{
	for (int64_t end = child_now_ms() + timeout_ms;;) {
		int r = qmp_connect(&v->qmp, path, 500);
		if (r == 0)
			return 0;
		if (exited(v)) {
			char tail[700];
			vm_qemu_tail(v, tail, sizeof tail);
			snprintf(err, len, "QEMU exited at start: %s", tail);
			return -ECHILD;
		}
		if (child_interrupted())
			return -EINTR;
		if (child_now_ms() > end) {
			snprintf(err, len, "QMP: %s", v->qmp.err);
			return r;
		}
	}
}

void vm_init(struct vm *v)
{
	memset(v, 0, sizeof *v);
	v->proc.out = -1;
	v->serial = -1;
	v->qmp.fd = -1;
}

int vm_start(struct vm *v, const char *name, const char *run, const struct vm_guest *g,
	     const struct vm_start *s, char *err, size_t len)
{
	vm_init(v);
	snprintf(v->name, sizeof v->name, "%s", name);
	snprintf(v->run, sizeof v->run, "%s", run);
	if (strlen(run) + sizeof "/serial.sock" > sizeof(((struct sockaddr_un *)0)->sun_path)) {
		snprintf(err, len, "%s: too long a path for QEMU's sockets (unix sockets take "
				   "107 bytes): give a shorter --work",
			 run);
		return -ENAMETOOLONG;
	}
	if (mkdir(run, 0700) < 0) {
		snprintf(err, len, "%s: %s", run, strerror(errno));
		return -errno;
	}
	int r = launch(v, g, s);
	if (r < 0) {
		snprintf(err, len, "%s: %s", g->qemu, strerror(-r));
		return r;
	}
	char path[sizeof v->run + 16];
	snprintf(path, sizeof path, "%s/qmp.sock", v->run);
	r = wait_sockets(v, 30000, err, len);
	if (r == 0)
		r = connect_qmp(v, path, 30000, err, len);
	if (r == 0 && (r = connect_serial(v)) < 0)
		snprintf(err, len, "%s/serial.sock: %s", v->run, strerror(-r));
	if (r < 0)
		vm_stop(v);
	return r;
}

int vm_cont(struct vm *v, char *err, size_t len)
{
	int r = qmp_execute(&v->qmp, "cont", NULL, 20000, NULL);
	if (r < 0)
		snprintf(err, len, "QMP cont: %s", v->qmp.err);
	v->cont_ms = child_now_ms();
	return r;
}

int vm_reap(struct vm *v, int ms)
{
	return child_wait(&v->proc, child_deadline_ms(ms)) == 0;
}

/* QMP quit first (QEMU flushes and exits by itself), then suites/child's
 * SIGTERM and SIGKILL to its group. */
void vm_stop(struct vm *v)
{
	if (v->proc.pid > 0 && v->qmp.fd >= 0 && !child_interrupted())
		qmp_execute(&v->qmp, "quit", NULL, 2000, NULL);
	qmp_close(&v->qmp);
	if (v->proc.pid > 0 && !vm_reap(v, 3000))
		child_stop(&v->proc);
	if (v->serial >= 0)
		close(v->serial);
	v->serial = -1;
	if (!v->run[0]) /* never started: no sockets of its own */
		return;
	char path[sizeof v->run + 16];
	snprintf(path, sizeof path, "%s/qmp.sock", v->run);
	unlink(path);
	snprintf(path, sizeof path, "%s/serial.sock", v->run);
	unlink(path);
}

/* The last max bytes of a buffer, from a line start, on one line each
 * joined with " | ". */
static void tail_lines(const char *buf, size_t n, char *out, size_t len)
{
	size_t from = n > len - 1 ? n - (len - 1) : 0;
	while (from > 0 && from < n && buf[from - 1] != '\n')
		from++;
	size_t o = 0;
	for (size_t i = from; i < n && o + 4 < len; i++) {
		char c = buf[i];
		if (c == '\r')
			continue;
		if (c == '\n') {
			if (i + 1 < n && o > 0)
				o += (size_t)snprintf(out + o, len - o, " | ");
			continue;
		}
		out[o++] = (c >= 32 && c < 127) ? c : '?';
	}
	out[o < len ? o : len - 1] = '\0';
}

void vm_qemu_tail(const struct vm *v, char *out, size_t len)
{
	char path[sizeof v->run + 16], buf[4096];
	snprintf(path, sizeof path, "%s/qemu.log", v->run);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = 0;
	if (fd >= 0) {
		off_t end = lseek(fd, 0, SEEK_END);
		off_t at = end > (off_t)sizeof buf ? end - (off_t)sizeof buf : 0;
		n = pread(fd, buf, sizeof buf, at);
		close(fd);
	}
	if (n <= 0) {
		snprintf(out, len, "(QEMU printed nothing)");
		return;
	}
	tail_lines(buf, (size_t)n, out, len);
}

void vm_console_tail(const struct vm *v, char *out, size_t len)
{
	if (v->len <= v->start) {
		snprintf(out, len, "(the console is empty)");
		return;
	}
	tail_lines(v->out + v->start, v->len - v->start, out, len);
}
