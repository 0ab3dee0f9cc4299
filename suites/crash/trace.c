/* trace.c - run a fork command under ptrace(2), following every process
 * and thread it starts (PTRACE_O_TRACECLONE, _TRACEFORK, _TRACEVFORK: a
 * shell script's tools and a static Go binary's threads alike, no
 * LD_PRELOAD), count the system calls that change a filesystem
 * (syscalls.c) at their entry, and at the k-th one SIGKILL every traced
 * task before that call runs.  PTRACE_GET_SYSCALL_INFO (Linux 5.3) says
 * entry from exit.  PTRACE_O_EXITKILL kills the tree should we die. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "crash.h"

#define MAX_TASKS 4096

struct tasks {
	pid_t pid[MAX_TASKS];
	size_t n;
};

static void add(struct tasks *t, pid_t pid)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->pid[i] == pid)
			return;
	if (t->n < MAX_TASKS)
		t->pid[t->n++] = pid;
}

static void drop(struct tasks *t, pid_t pid)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->pid[i] == pid) {
			t->pid[i] = t->pid[--t->n];
			return;
		}
}

static void kill_all(const struct tasks *t)
{
	for (size_t i = 0; i < t->n; i++)
		kill(t->pid[i], SIGKILL);
}

/* The child: a process group of its own, traced from its first
 * instruction after exec. */
static void start(char *const *argv)
{
	setpgid(0, 0);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC); /* its output is not judged */
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
	}
	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
		_exit(126);
	raise(SIGSTOP);
	execvp(argv[0], argv);
	_exit(127);
}

static void note_point(struct crash_trace *tr, const char *name)
{
	if (tr->name && tr->n < tr->cap)
		tr->name[tr->n] = name; /* syscalls.c's table: static */
	tr->n++;
}

/* A syscall stop of pid: a point at entry?  1 when the tree is to die. */
static int on_syscall(struct crash_trace *tr, pid_t pid)
{
	struct __ptrace_syscall_info si;
	if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof si, &si) <= 0 ||
	    si.op != PTRACE_SYSCALL_INFO_ENTRY)
		return 0;
	const char *name = crash_syscall_point(pid, (long)si.entry.nr,
					       (const unsigned long long *)si.entry.args);
	if (!name)
		return 0;
	note_point(tr, name);
	return tr->kill_at && tr->n == tr->kill_at;
}

/* A stop that is not a syscall's: the signal to pass on (0: none). */
static int on_stop(struct tasks *t, pid_t pid, int status)
{
	int sig = WSTOPSIG(status), event = status >> 16;
	if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK ||
	    event == PTRACE_EVENT_CLONE) {
		unsigned long child;
		if (ptrace(PTRACE_GETEVENTMSG, pid, NULL, &child) == 0)
			add(t, (pid_t)child);
		return 0;
	}
	if (event) /* exec, and the like */
		return 0;
	/* A new task starts with SIGSTOP; a real stop signal is passed on. */
	return sig == SIGSTOP || sig == SIGTRAP ? 0 : sig;
}

static void tick(int sig)
{
	(void)sig;
}

/* SIGALRM every 100 ms while on, so a blocked waitpid returns EINTR. */
static void ticker(int on)
{
	struct sigaction sa = { .sa_handler = tick }; /* no SA_RESTART */
	sigemptyset(&sa.sa_mask);
	if (on)
		sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { { 0, on ? 100000 : 0 }, { 0, on ? 100000 : 0 } };
	setitimer(ITIMER_REAL, &it, NULL);
}

static int trace(char *const *argv, struct crash_trace *tr, int64_t deadline)
{
	tr->n = 0;
	tr->killed = 0;
	tr->status = -1;
	pid_t leader = fork();
	if (leader < 0)
		return -errno;
	if (leader == 0)
		start(argv);
	static struct tasks t;
	t.n = 0;
	int st;
	pid_t w;
	while ((w = waitpid(leader, &st, 0)) < 0 && errno == EINTR)
		;
	if (w != leader || !WIFSTOPPED(st)) {
		kill(leader, SIGKILL);
		waitpid(leader, NULL, 0);
		return -ECHILD;
	}
	long opts = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK |
		    PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL;
	if (ptrace(PTRACE_SETOPTIONS, leader, NULL, (void *)opts) < 0) {
		int e = errno;
		kill(leader, SIGKILL);
		waitpid(leader, NULL, 0);
		return -e;
	}
	add(&t, leader);
	ptrace(PTRACE_SYSCALL, leader, NULL, NULL);
	int r = 0;
	while (t.n > 0) {
		if (child_now_ms() > deadline || child_interrupted()) {
			r = child_interrupted() ? -EINTR : -ETIMEDOUT;
			kill_all(&t);
		}
		/* Blocking: the ticker's SIGALRM (no SA_RESTART) or a signal
		 * of the harness's returns EINTR, and the checks above run. */
		pid_t pid = waitpid(-1, &st, __WALL);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break; /* ECHILD: nothing left */
		}
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			drop(&t, pid);
			if (pid == leader)
				tr->status = st;
			continue;
		}
		add(&t, pid); /* a task we met first here (its event came later) */
		int sig = 0;
		if (WSTOPSIG(st) == (SIGTRAP | 0x80)) {
			if (on_syscall(tr, pid)) {
				tr->killed = 1;
				kill_all(&t);
				kill(-leader, SIGKILL);
			}
		} else {
			sig = on_stop(&t, pid, st);
		}
		ptrace(PTRACE_SYSCALL, pid, NULL, (void *)(long)sig);
	}
	return r;
}

int crash_trace_run(char *const *argv, struct crash_trace *tr, int64_t deadline)
{
	ticker(1);
	int r = trace(argv, tr, deadline);
	ticker(0);
	return r;
}
