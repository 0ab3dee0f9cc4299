/* signals.c - SIGINT, SIGTERM and SIGHUP for the harness (child.h): the
 * handler records the signal and adds one to an eventfd (the self-pipe
 * pattern with one descriptor), nothing else (async-signal-safe: write(2)
 * only, errno kept).  The waits of child.c poll it; the command's exit
 * path stops the children, removes its scratch and exits 128 + the
 * signal. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "child.h"

static volatile sig_atomic_t got;
static int wake = -1;

static void on_signal(int sig)
{
	int e = errno;
	if (!got)
		got = sig;
	if (wake >= 0) {
		uint64_t one = 1;
		ssize_t k = write(wake, &one, sizeof one); /* EAGAIN: readable already */
		(void)k;
	}
	errno = e;
}

void child_signals_install(void)
{
	if (wake >= 0)
		return;
	wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); /* -1: the waits poll the flag */
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
		sigaction(sigs[i], &sa, NULL);
}

void child_signals_forked(void)
{
	if (wake < 0)
		return;
	close(wake); /* shared with the parent: its wake-ups are not ours */
	wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	got = 0;
}

int child_interrupted(void)
{
	return got;
}

int child_signal_fd(void)
{
	return wake;
}
