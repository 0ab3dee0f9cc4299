/* trace.c - run a fork command under ptrace(2), following every process
 * and thread it starts (PTRACE_O_TRACECLONE, _TRACEFORK, _TRACEVFORK: a
 * shell script's tools and a static Go binary's threads alike, no
 * LD_PRELOAD), count the system calls that change a filesystem
 * (syscalls.c) at their entry, and at the k-th one SIGKILL every traced
 * task before that call runs: a task stopped at syscall entry with a fatal
 * signal pending skips the call (ptrace_report_syscall returns
 * fatal_signal_pending(), and the entry code then does not dispatch it).
 * PTRACE_GET_SYSCALL_INFO (Linux 5.3) tells entry from exit and gives the
 * number and arguments.  PTRACE_O_EXITKILL kills the tree should we die. */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "crash.h"

#define MAX_TASKS       4096
#define TRACEME_REFUSED 126 /* the child's exit status when ptrace is refused */

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

static void kill_all(const struct tasks *t, pid_t leader)
{
	for (size_t i = 0; i < t->n; i++)
		kill(t->pid[i], SIGKILL);
	kill(-leader, SIGKILL);
}

/* The child: a process group of its own, no descriptor but 0-2 (its
 * output to log), default signals, dies with us; traced from its first
 * instruction after exec. */
static void start(char *const *argv, const char *log)
{
	setpgid(0, 0);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int out = log ? open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;
	if (out < 0)
		out = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		_exit(127);
	syscall(SYS_close_range, 3, ~0u, 0);
	/* A fork built with AddressSanitizer (this project's own CI build)
	 * fails at exit under ptrace: LeakSanitizer needs to ptrace it
	 * itself.  Leaks are not what crash judges. */
	const char *asan = getenv("ASAN_OPTIONS");
	char opts[1024];
	snprintf(opts, sizeof opts, "%s%sdetect_leaks=0", asan ? asan : "",
		 asan && *asan ? ":" : "");
	setenv("ASAN_OPTIONS", opts, 1);
	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
		_exit(TRACEME_REFUSED);
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
	/* syscalls.c knows the native calls; a 32-bit tool's numbers
	 * differ (and make no point: a documented limit). */
	if (si.arch != AUDIT_ARCH_X86_64 && si.arch != AUDIT_ARCH_AARCH64)
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
	unsigned long msg;
	if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK ||
	    event == PTRACE_EVENT_CLONE) {
		if (ptrace(PTRACE_GETEVENTMSG, pid, NULL, &msg) == 0)
			add(t, (pid_t)msg);
		return 0;
	}
	/* A thread that is not the leader exec'd: it took the leader's tid
	 * and its own is gone without an exit report. */
	if (event == PTRACE_EVENT_EXEC && ptrace(PTRACE_GETEVENTMSG, pid, NULL, &msg) == 0 &&
	    (pid_t)msg != pid)
		drop(t, (pid_t)msg);
	if (event)
		return 0;
	/* A new task starts with SIGSTOP; a real stop signal is passed on. */
	return sig == SIGSTOP || sig == SIGTRAP ? 0 : sig;
}

/* Wait for the child's first stop (or its exit: ptrace refused). */
static int first_stop(pid_t leader)
{
	int st;
	pid_t w;
	while ((w = waitpid(leader, &st, 0)) < 0 && errno == EINTR)
		;
	if (w == leader && WIFSTOPPED(st))
		return 0;
	if (w != leader)
		kill(leader, SIGKILL), waitpid(leader, NULL, 0);
	return w == leader && WIFEXITED(st) && WEXITSTATUS(st) == TRACEME_REFUSED ? -EPERM
										  : -ECHILD;
}

static int trace(char *const *argv, const char *log, struct crash_trace *tr, int64_t deadline)
{
	tr->n = 0;
	tr->killed = 0;
	tr->status = -1;
	pid_t leader = fork();
	if (leader < 0)
		return -errno;
	if (leader == 0)
		start(argv, log);
	int r = first_stop(leader);
	/* The fork's output goes to log: writes there are no point. */
	struct stat lst;
	if (r == 0 && log && stat(log, &lst) == 0)
		crash_syscall_ignore(lst.st_dev, lst.st_ino);
	long opts = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK |
		    PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL;
	if (r == 0 && ptrace(PTRACE_SETOPTIONS, leader, NULL, (void *)opts) < 0) {
		r = -errno;
		kill(leader, SIGKILL);
		waitpid(leader, NULL, 0);
	}
	if (r < 0)
		return r;
	static struct tasks t;
	t.n = 0;
	add(&t, leader);
	ptrace(PTRACE_SYSCALL, leader, NULL, NULL);
	/* Until nothing is left to wait for (ECHILD): every traced task's
	 * end, and the orphans that came to us (crash runs as a subreaper). */
	for (;;) {
		if (r == 0 && (child_now_ms() > deadline || child_interrupted()))
			r = child_interrupted() ? -EINTR : -ETIMEDOUT;
		if (r < 0 || tr->killed)
			kill_all(&t, leader);
		/* Blocking: the ticker's SIGALRM (no SA_RESTART) or a signal
		 * of the harness's returns EINTR, and the checks above run. */
		int st;
		pid_t pid = waitpid(-1, &st, __WALL);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			break;
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			drop(&t, pid);
			if (pid == leader)
				tr->status = st;
			continue;
		}
		add(&t, pid); /* a task met first here (its parent's event comes later) */
		int sig = 0;
		if (tr->killed) /* met after the kill: it dies too, never resumed */
			kill(pid, SIGKILL);
		else if (WSTOPSIG(st) == (SIGTRAP | 0x80) && on_syscall(tr, pid))
			tr->killed = 1, kill_all(&t, leader);
		else if (WSTOPSIG(st) != (SIGTRAP | 0x80))
			sig = on_stop(&t, pid, st);
		ptrace(PTRACE_SYSCALL, pid, NULL, (void *)(long)sig);
	}
	return r;
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

int crash_trace_run(char *const *argv, const char *log, struct crash_trace *tr, int64_t deadline)
{
	ticker(1);
	int r = trace(argv, log, tr, deadline);
	ticker(0);
	return r;
}
