/* collect.c - a child's output (child.h, CHILD_OUT_PIPE): its last bytes,
 * read until the child exits.  Descendants that keep the pipe open do not
 * hold the caller: what the pipe holds then is read, up to DRAIN_MAX, and
 * the pipe is closed. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "child.h"

#define DRAIN_MAX (1u << 20)

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

/* One read: its byte count, 0 at the end of the pipe (closed then), -1
 * when nothing is there now. */
static ssize_t read_some(struct child *c, char *tail, size_t len, size_t *have)
{
	char buf[4096];
	ssize_t k = read(c->out, buf, sizeof buf);
	if (k > 0) {
		keep_tail(tail, len, have, buf, (size_t)k);
		return k;
	}
	if (k < 0 && (errno == EINTR || errno == EAGAIN))
		return -1;
	close(c->out);
	c->out = -1;
	return 0;
}

/* After the exit: what the pipe holds now, at most DRAIN_MAX (a
 * descendant outside the group may write forever); then closed. */
static void drain(struct child *c, char *tail, size_t len, size_t *have)
{
	fcntl(c->out, F_SETFL, O_NONBLOCK);
	ssize_t k;
	for (size_t total = 0; c->out >= 0 && total < DRAIN_MAX; total += (size_t)k)
		if ((k = read_some(c, tail, len, have)) <= 0)
			break;
	if (c->out >= 0)
		close(c->out);
	c->out = -1;
}

int child_collect(struct child *c, int64_t deadline, char *tail, size_t len, size_t *have)
{
	*have = 0;
	tail[0] = '\0';
	while (c->out >= 0) {
		if (child_reaped(c)) {
			drain(c, tail, len, have);
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
			read_some(c, tail, len, have);
	}
	return child_wait(c, deadline);
}
