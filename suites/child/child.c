/* child.c - starting, waiting for, stopping and reaping the harness's
 * children (see child.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "cli.h"

#define GRACE_MS 2000
#define REAP_MS 10000        /* after SIGKILL: a process stuck in the kernel stays */

/* The registry: every child started and not yet collected by its owner.
 * An entry reaped by child_stop_all keeps its status for the owner. */
struct entry {
	pid_t pid; /* and its process group */
	int grace_ms;
	int settle_ms; /* see child_spec */
	int status;
	int reaped;
};
static struct entry *reg;
static size_t nreg, cap;

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
	if (nreg < cap)
		return 0;
	size_t n = cap ? cap * 2 : 16;
	struct entry *t = realloc(reg, n * sizeof *t);
	if (!t)
		return -ENOMEM;
	reg = t;
	cap = n;
	return 0;
}

static struct entry *find(pid_t pid)
{
	for (size_t i = 0; i < nreg; i++)
		if (reg[i].pid == pid)
			return &reg[i];
	return NULL;
}

int child_registered(pid_t pid)
{
	return find(pid) != NULL;
}

static void drop(struct entry *e)
{
	*e = reg[--nreg];
}

size_t child_live(void)
{
	size_t n = 0;
	for (size_t i = 0; i < nreg; i++)
		n += !reg[i].reaped;
	return n;
}

/* The processes of group pgid other than its leader (from /proc). */
static unsigned group_others(pid_t pgid)
{
	struct child_proc *v;
	size_t n = child_procs(&v);
	unsigned k = 0;
	for (size_t i = 0; i < n; i++)
		k += v[i].pid != pgid && v[i].pgrp == pgid && v[i].state != 'Z';
	free(v);
	return k;
}

/* The leader exited; WNOWAIT leaves it a zombie, so its id stays the
 * group's and a kill(-pid) cannot reach a process that took the id. */
static int leader_exited(pid_t pid)
{
	siginfo_t si;
	si.si_pid = 0;
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return errno == ECHILD; /* reaped elsewhere: its status is lost */
	return si.si_pid == pid;
}

/* Reap e's exited leader, what is left of its group killed first: a
 * command is finished when it returns.  With settle_ms (c given) the
 * leader goes first, so its children become ours (child_subreaper), and
 * left.c names, waits for and kills what it left. */
static void reap(struct entry *e, struct child *c)
{
	int settle = e->settle_ms > 0 && c && child_subreaper() == 0;
	unsigned n = settle ? 0 : group_others(e->pid);
	if (n)
		kill(-e->pid, SIGKILL);
	int st = 0;
	pid_t r;
	while ((r = waitpid(e->pid, &st, 0)) < 0 && errno == EINTR)
		;
	e->status = r == e->pid ? st : CHILD_STATUS_LOST;
	e->reaped = 1;
	if (settle)
		n = (unsigned)child_left_settle(e->settle_ms, c->left, sizeof c->left);
	if (c)
		c->stragglers = n;
}

/* Stop n entries at once: SIGTERM to every group, one grace period (the
 * longest of theirs) for every process of each group to end (a shell
 * leader dies at once; the snapfork it runs needs its time to undo its
 * mounts), SIGKILL to every group, then a bounded reap. */
static void stop_entries(struct entry **es, size_t n)
{
	int grace = 0;
	for (size_t i = 0; i < n; i++) {
		kill(-es[i]->pid, SIGTERM);
		grace = es[i]->grace_ms > grace ? es[i]->grace_ms : grace;
	}
	for (int64_t end = child_now_ms() + grace; child_now_ms() < end;) {
		size_t left = 0;
		for (size_t i = 0; i < n; i++)
			left += !leader_exited(es[i]->pid) || group_others(es[i]->pid);
		if (!left)
			break;
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	for (size_t i = 0; i < n; i++)
		kill(-es[i]->pid, SIGKILL);
	for (int64_t end = child_now_ms() + REAP_MS; child_now_ms() < end;) {
		size_t left = 0;
		for (size_t i = 0; i < n; i++) {
			if (!es[i]->reaped && leader_exited(es[i]->pid))
				reap(es[i], NULL);
			left += !es[i]->reaped;
		}
		if (!left)
			break;
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	char what[256]; /* and what escaped the groups (a setsid'd job), when */
	child_left_settle(0, what, sizeof what); /* we are its subreaper */
}

void child_stop_all(void)
{
	struct entry **es = calloc(nreg ? nreg : 1, sizeof *es);
	size_t n = 0;
	for (size_t i = 0; es && i < nreg; i++)
		if (!reg[i].reaped)
			es[n++] = &reg[i];
	if (es)
		stop_entries(es, n);
	free(es);
}

/* Keep fd off 0-2 (they are about to be replaced). */
static int above_stdio(int fd)
{
	return fd >= 0 && fd < 3 ? fcntl(fd, F_DUPFD, 3) : fd;
}

/* After setresuid with PR_SET_KEEPCAPS, keep CAP_DAC_READ_SEARCH alone
 * and make it ambient, so that it survives execve of /bin/sh and the
 * command (capabilities(7)).  The user can then reach paths through a
 * private directory (a "/" of mode 0700) and read what it finds, but
 * write only what its uid may: may_linkat (fs/namei.c) still needs
 * read and write permission or CAP_FOWNER, so fs.protected_hardlinks
 * still refuses it.  libcap is not a dependency: two raw syscalls. */
static int keep_dac_read_search(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = { 0 };
	d[0].effective = d[0].permitted = d[0].inheritable = 1u << CAP_DAC_READ_SEARCH;
	if (syscall(SYS_capset, &h, d) < 0)
		return -1;
	return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_DAC_READ_SEARCH, 0, 0);
}
/* In the child: the harness's signal handlers gone (they were blocked
 * since before fork), descriptors 0-2 only, privileges dropped when
 * asked, then PR_SET_PDEATHSIG (a credential change clears it:
 * kernel/cred.c, commit_creds) and the getppid() check for a parent that
 * died before prctl ran. */
_Noreturn static void exec_child(const struct child_spec *s, int out, pid_t parent)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };
	for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
		signal(sigs[i], SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setpgid(0, 0);
	int null = above_stdio(open("/dev/null", O_RDWR));
	out = above_stdio(out >= 0 ? out : null);
	int err = above_stdio(s->err > 0 ? s->err : s->err == CHILD_OUT_NULL ? null : out);
	if (null < 0 || out < 0 || err < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 ||
	    dup2(err, 2) < 0)
		_exit(127);
	/* Descriptors 0-2 only, even one some library opened without
	 * O_CLOEXEC (close_range: Linux 5.9, glibc 2.34). */
	if (close_range(3, ~0u, 0) < 0)
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
	if (s->as_user && (setgroups(0, NULL) < 0 || setresgid(s->gid, s->gid, s->gid) < 0 ||
			   (s->keep_search && prctl(PR_SET_KEEPCAPS, 1) < 0) ||
			   setresuid(s->uid, s->uid, s->uid) < 0)) {
		dprintf(2, "dropping privileges to %u:%u: %s\n", (unsigned)s->uid, (unsigned)s->gid,
			strerror(errno));
		_exit(126);
	}
	/* Best effort: without it (not in the bounding set, in some
	 * containers) the command runs anyway, and reaches what it can. */
	if (s->as_user && s->keep_search && keep_dac_read_search() < 0)
		dprintf(2, "cannot keep CAP_DAC_READ_SEARCH as %u: %s; running without it\n",
			(unsigned)s->uid, strerror(errno));
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127);
	cli_coverage_flush(); /* exec drops the counts otherwise */
	execvp(s->argv[0], s->argv);
	dprintf(2, "cannot run %s: %s\n", s->argv[0], strerror(errno));
	_exit(127);
}

int child_start(struct child *c, const struct child_spec *s)
{
	memset(c, 0, sizeof *c);
	c->out = -1;
	c->grace_ms = s->grace_ms > 0 ? s->grace_ms : GRACE_MS;
	int p[2] = { -1, -1 };
	if (reserve() < 0)
		return -ENOMEM;
	if (s->out == CHILD_OUT_PIPE && pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	/* Blocked until the child reset them: a signal in between would run
	 * our handler in the child. */
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);
	pid_t parent = getpid();
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0)
		exec_child(s, s->out == CHILD_OUT_PIPE ? p[1] : s->out, parent);
	int e = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (p[1] >= 0)
		close(p[1]);
	if (pid < 0) {
		if (p[0] >= 0)
			close(p[0]);
		return -e;
	}
	setpgid(pid, pid); /* also here: no window where a kill(-pid) misses it */
	reg[nreg++] = (struct entry){ pid, c->grace_ms, s->settle_ms, 0, 0 };
	c->pid = pid;
	c->out = p[0];
	return 0;
}

int child_reaped(struct child *c)
{
	if (c->pid <= 0)
		return 1;
	struct entry *e = find(c->pid);
	if (e && !e->reaped) {
		if (!leader_exited(e->pid))
			return 0;
		reap(e, c);
	}
	c->status = e ? e->status : CHILD_STATUS_LOST;
	if (e)
		drop(e);
	c->pid = 0;
	return 1;
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

void child_stop(struct child *c)
{
	if (c->out >= 0)
		close(c->out);
	c->out = -1;
	if (c->pid <= 0)
		return;
	struct entry *e = find(c->pid);
	if (e && !e->reaped)
		stop_entries(&e, 1);
	if (e && !e->reaped) { /* stuck in the kernel: child_stop_all tries again */
		c->status = CHILD_STATUS_LOST;
		c->pid = 0;
		return;
	}
	child_reaped(c);
}

int child_exit_code(const struct child *c)
{
	return WIFEXITED(c->status) ? WEXITSTATUS(c->status) : 128 + WTERMSIG(c->status);
}
