/* many.c - K forks of one snapshot at once, as a VM manager forks many
 * VMs from one snapshot.  Each fork runs in a helper process of its own
 * (a fork(2) of this one, so the fork function need not be thread-safe:
 * the library in process and the command runner alike), and all K wait
 * on one pipe until every helper is started: closing its write end
 * releases them together (a barrier, not a loop).  Each helper sends its
 * fork's result back through a pipe of its own. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "cli.h"
#include "steps.h"

/* In the helper: wait for the release, fork, send the result, exit. */
_Noreturn static void helper(const struct conform_setup *c, const struct fixture *f,
			     const char *src, const char *dst, int gate, int out, pid_t parent)
{
	child_signals_forked();
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(1);
	char b;
	while (read(gate, &b, 1) < 0 && errno == EINTR)
		;
	struct conform_forked r = { 0 };
	double t0 = conform_now_ms();
	r.rc = conform_fork(c, f, src, dst, r.msg, sizeof r.msg);
	r.ms = conform_now_ms() - t0;
	conform_fork_left(c, r.left, sizeof r.left);
	for (size_t k = 0; k < sizeof r;) {
		ssize_t w = write(out, (char *)&r + k, sizeof r - k);
		if (w <= 0 && errno != EINTR)
			break;
		k += w > 0 ? (size_t)w : 0;
	}
	cli_coverage_flush(); /* _exit skips it */
	_exit(0);
}

/* A signal came: every helper gets it (each stops its fork command and
 * reports), once. */
static void pass_signal(const pid_t *pid, size_t n, int *passed)
{
	if (*passed || !child_interrupted())
		return;
	for (size_t i = 0; i < n; i++)
		kill(pid[i], child_interrupted());
	*passed = 1;
}

/* The helper's result from its pipe, once it exited. */
static void result_of(const pid_t *pids, size_t n, size_t i, int in, int *passed,
		      struct conform_forked *r)
{
	size_t k = 0;
	while (k < sizeof *r) {
		pass_signal(pids, n, passed);
		struct pollfd p[2] = { { in, POLLIN, 0 }, { child_signal_fd(), POLLIN, 0 } };
		if (poll(p, p[1].fd >= 0 && !*passed ? 2 : 1, 200) <= 0 || !p[0].revents)
			continue;
		ssize_t got = read(in, (char *)r + k, sizeof *r - k);
		if (got <= 0 && !(got < 0 && errno == EINTR))
			break;
		k += got > 0 ? (size_t)got : 0;
	}
	pid_t pid = pids[i];
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (k < sizeof *r) {
		memset(r, 0, sizeof *r);
		r->rc = FORKCMD_FAILED;
		snprintf(r->msg, sizeof r->msg, "the helper running this fork died (status %d)", st);
	}
}

int conform_fork_many(const struct conform_setup *c, const struct fixture *f, const char *src,
		      const char *const *dst, size_t k, struct conform_forked *out)
{
	if (k == 1) { /* no helper: the fork as it always runs */
		double t0 = conform_now_ms();
		out->rc = conform_fork(c, f, src, dst[0], out->msg, sizeof out->msg);
		out->ms = conform_now_ms() - t0;
		conform_fork_left(c, out->left, sizeof out->left);
		return 0;
	}
	int gate[2];
	if (pipe2(gate, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid[CONFORM_MAX_K];
	int in[CONFORM_MAX_K];
	size_t started = 0;
	int e = 0, passed = 0;
	pid_t self = getpid();
	fflush(NULL);
	for (; started < k && started < CONFORM_MAX_K; started++) {
		int p[2];
		if (pipe2(p, O_CLOEXEC) < 0) {
			e = -errno;
			break;
		}
		if ((pid[started] = fork()) == 0) {
			close(gate[1]);
			close(p[0]);
			helper(c, f, src, dst[started], gate[0], p[1], self);
		}
		close(p[1]);
		if (pid[started] < 0) {
			e = -errno;
			close(p[0]);
			break;
		}
		in[started] = p[0];
	}
	close(gate[0]);
	close(gate[1]); /* every helper goes now */
	for (size_t i = 0; i < started; i++) {
		result_of(pid, started, i, in[i], &passed, &out[i]);
		close(in[i]);
	}
	return e;
}
