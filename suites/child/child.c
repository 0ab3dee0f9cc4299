/* child.c - starting, waiting for, stopping and reaping the harness's
 * children (see child.h). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "cli.h"

#define GRACE_MS 2000

/* The registry: the process groups of the children not yet reaped. */
static pid_t *live;
static size_t nlive, cap;

int64_t child_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t child_deadline_ms(int64_t ms)
{
	int64_t now = child_now_ms();
	return ms <= 0 || ms >= CHILD_FOREVER - now ? CHILD_FOREVER : now + ms;
}

static int reserve(void)
{
	if (nlive < cap)
		return 0;
	size_t n = cap ? cap * 2 : 16;
	pid_t *t = realloc(live, n * sizeof *t);
	if (!t)
		return -ENOMEM;
	live = t;
	cap = n;
	return 0;
}

static int registered(pid_t pid)
{
	for (size_t i = 0; i < nlive; i++)
		if (live[i] == pid)
			return 1;
	return 0;
}

static void unregister(pid_t pid)
{
	for (size_t i = 0; i < nlive; i++)
		if (live[i] == pid) {
			live[i] = live[--nlive];
			return;
		}
}

size_t child_live(void)
{
	return nlive;
}

void child_stop_all(void)
{
	while (nlive > 0) {
		struct child c = { live[0], 0, -1, 0 };
		child_stop(&c);
	}
}

/* In the child: descriptors 0-2 only,
 * privileges dropped when asked, then PR_SET_PDEATHSIG (a credential
 * change clears it: kernel/cred.c, commit_creds) and the getppid() check
 * for a parent that died before prctl ran. */
_Noreturn static void exec_child(const struct child_spec *s, int out, pid_t parent)
{
	setpgid(0, 0);
	int null = open("/dev/null", O_RDWR);
	if (null < 0 || dup2(null, 0) < 0 || dup2(out >= 0 ? out : null, 1) < 0 ||
	    dup2(out >= 0 ? out : null, 2) < 0)
		_exit(127);
	/* Descriptors 0-2 only, even one some library opened without
	 * O_CLOEXEC (close_range: Linux 5.9, glibc 2.34). */
	if (close_range(3, ~0u, 0) < 0)
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
	if (s->as_user && (setgroups(0, NULL) < 0 || setresgid(s->gid, s->gid, s->gid) < 0 ||
			   setresuid(s->uid, s->uid, s->uid) < 0)) {
		dprintf(2, "dropping privileges to %u:%u: %s\n", (unsigned)s->uid, (unsigned)s->gid,
			strerror(errno));
		_exit(126);
	}
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	cli_coverage_flush(); /* exec drops the counts otherwise */
	execvp(s->argv[0], s->argv);
	dprintf(2, "cannot run %s: %s\n", s->argv[0], strerror(errno));
	_exit(127);
}

int child_start(struct child *c, const struct child_spec *s)
{
	memset(c, 0, sizeof *c);
	c->out = -1;
	int p[2] = { -1, -1 };
	if (reserve() < 0)
		return -ENOMEM;
	if (s->out == CHILD_OUT_PIPE && pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid_t parent = getpid();
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0)
		exec_child(s, s->out == CHILD_OUT_PIPE ? p[1] : s->out, parent);
	int e = errno;
	if (p[1] >= 0)
		close(p[1]);
	if (pid < 0) {
		if (p[0] >= 0)
			close(p[0]);
		return -e;
	}
	setpgid(pid, pid); /* also here: no window where a kill(-pid) misses it */
	live[nlive++] = pid;
	c->pid = pid;
	c->out = p[0];
	return 0;
}

/* Reap c if it exited: 1 if it did (or was reaped by child_stop_all). */
int child_reaped(struct child *c)
{
	if (c->pid <= 0)
		return 1;
	if (!registered(c->pid)) {
		c->pid = 0;
		return 1;
	}
	pid_t r = waitpid(c->pid, &c->status, WNOHANG);
	if (r == c->pid || (r < 0 && errno == ECHILD)) {
		unregister(c->pid);
		c->pid = 0;
		return 1;
	}
	return 0;
}

/* Sleep up to ms, or until a signal came. */
static void nap(int64_t ms)
{
	struct pollfd p = { child_signal_fd(), POLLIN, 0 };
	poll(&p, p.fd >= 0 ? 1 : 0, (int)ms);
}

int child_wait(struct child *c, int64_t deadline)
{
	for (;;) {
		if (child_reaped(c))
			return 0;
		if (child_interrupted())
			return -EINTR;
		int64_t left = deadline - child_now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		nap(left < 10 ? left : 10);
	}
}

/* Append k bytes to the tail, keeping its last len - 1. */
static void keep_tail(char *tail, size_t len, size_t *have, const char *buf, size_t k)
{
	if (k >= len - 1) {
		memcpy(tail, buf + k - (len - 1), len - 1);
		*have = len - 1;
	} else {
		size_t drop = *have + k > len - 1 ? *have + k - (len - 1) : 0;
		memmove(tail, tail + drop, *have - drop);
		memcpy(tail + *have - drop, buf, k);
		*have = *have - drop + k;
	}
	tail[*have] = '\0';
}

/* Read what the pipe holds now: 0, or 1 at its end. */
static int read_some(struct child *c, char *tail, size_t len, size_t *have, int block)
{
	char buf[4096];
	for (;;) {
		ssize_t k = read(c->out, buf, sizeof buf);
		if (k > 0) {
			keep_tail(tail, len, have, buf, (size_t)k);
			if (block)
				return 0;
			continue;
		}
		if (k < 0 && errno == EINTR)
			return 0;
		if (k < 0 && errno == EAGAIN)
			return 0;
		close(c->out);
		c->out = -1;
		return 1;
	}
}

int child_collect(struct child *c, int64_t deadline, char *tail, size_t len, size_t *have)
{
	*have = 0;
	tail[0] = '\0';
	while (c->out >= 0) {
		if (child_reaped(c)) {
			/* What it wrote before it exited; descendants that keep the
			 * pipe open are not waited for. */
			fcntl(c->out, F_SETFL, O_NONBLOCK);
			read_some(c, tail, len, have, 0);
			break;
		}
		if (child_interrupted())
			return -EINTR;
		int64_t left = deadline - child_now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd p[2] = { { c->out, POLLIN, 0 }, { child_signal_fd(), POLLIN, 0 } };
		int r = poll(p, p[1].fd >= 0 ? 2 : 1, (int)(left < 20 ? left : 20));
		if (r > 0 && p[0].revents)
			read_some(c, tail, len, have, 1);
	}
	return child_wait(c, deadline);
}

void child_stop(struct child *c)
{
	if (c->out >= 0)
		close(c->out);
	c->out = -1;
	if (c->pid <= 0 || !registered(c->pid)) {
		c->pid = 0;
		return;
	}
	/* WNOWAIT leaves the leader a zombie: its id stays the group's, so
	 * the SIGKILL below cannot reach a process that took the id since. */
	kill(-c->pid, SIGTERM);
	siginfo_t si;
	for (int64_t end = child_now_ms() + GRACE_MS; child_now_ms() < end;) {
		si.si_pid = 0;
		if (waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid)
			break;
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	kill(-c->pid, SIGKILL);
	while (waitpid(c->pid, &c->status, 0) < 0 && errno == EINTR)
		;
	unregister(c->pid);
	c->pid = 0;
}

int child_exit_code(const struct child *c)
{
	return WIFEXITED(c->status) ? WEXITSTATUS(c->status) : 128 + WTERMSIG(c->status);
}

int child_run(char *const *argv, const char *log, int64_t deadline)
{
	int fd = log ? open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : CHILD_OUT_NULL;
	if (log && fd < 0)
		return -errno;
	struct child c;
	struct child_spec s = { argv, fd, 0, 0, 0 };
	int r = child_start(&c, &s);
	if (fd >= 0)
		close(fd);
	if (r == 0 && (r = child_wait(&c, deadline)) < 0)
		child_stop(&c);
	return r < 0 ? r : child_exit_code(&c);
}

int child_sh(const char *cmd, const char *log, int64_t deadline)
{
	char *argv[] = { "/bin/sh", "-c", (char *)cmd, NULL };
	return child_run(argv, log, deadline);
}

char *child_sh_quote(const char *s)
{
	char *out = malloc(4 * strlen(s) + 3), *o = out;
	if (!out)
		return NULL;
	*o++ = '\'';
	for (; *s; s++) {
		if (*s == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else {
			*o++ = *s;
		}
	}
	*o++ = '\'';
	*o = '\0';
	return out;
}
