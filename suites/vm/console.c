/* console.c - the guest's serial console (see vm.h): read from QEMU's
 * chardev socket into a buffer (and run/console.log), parsed by lines.
 * The guest (guest.sh) prints "SNAPFORK-READY" once it booted and then
 * "SNAPFORK-COUNTER N tag=T" about once a second. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vm.h"

static int append(struct vm *v, const char *buf, size_t n)
{
	if (v->len + n + 1 > v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 65536;
		while (cap < v->len + n + 1)
			cap *= 2;
		char *p = realloc(v->out, cap);
		if (!p)
			return -ENOMEM;
		v->out = p;
		v->cap = cap;
	}
	memcpy(v->out + v->len, buf, n);
	v->len += n;
	v->out[v->len] = '\0';
	char path[4200];
	snprintf(path, sizeof path, "%s/console.log", v->run);
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd >= 0) {
		if (write(fd, buf, n) < 0) {
			/* the log is a convenience; the buffer is what counts */
		}
		close(fd);
	}
	return 0;
}

/* Read what the console has; -ECHILD at end of file (QEMU exited). */
static int pump(struct vm *v, int timeout_ms)
{
	struct pollfd p = { v->serial, POLLIN, 0 };
	int r = poll(&p, 1, timeout_ms);
	if (r < 0)
		return errno == EINTR ? (child_interrupted() ? -EINTR : 0) : -errno;
	if (r == 0)
		return 0;
	char buf[8192];
	ssize_t n = read(v->serial, buf, sizeof buf);
	if (n == 0)
		return -ECHILD;
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -ECHILD;
	return append(v, buf, (size_t)n);
}

int vm_wait(struct vm *v, int (*pred)(const struct vm *, const void *), const void *arg,
	    int64_t timeout_ms)
{
	int64_t end = child_now_ms() + timeout_ms;
	for (;;) {
		if (pred(v, arg))
			return 0;
		if (child_interrupted())
			return -EINTR;
		int64_t left = end - child_now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		if (v->serial < 0)
			return -ECHILD;
		int r = pump(v, left > 200 ? 200 : (int)left);
		if (r == -ECHILD) {
			close(v->serial);
			v->serial = -1;
			vm_reap(v, 2000); /* the console closes as QEMU exits */
			return pred(v, arg) ? 0 : -ECHILD;
		}
		if (r < 0)
			return r;
	}
}

int vm_send(struct vm *v, const char *line)
{
	size_t n = strlen(line);
	while (n > 0) {
		ssize_t k = send(v->serial, line, n, MSG_NOSIGNAL);
		if (k < 0 && (errno == EINTR || errno == EAGAIN)) {
			poll(NULL, 0, 10);
			continue;
		}
		if (k < 0)
			return -errno;
		line += k;
		n -= (size_t)k;
	}
	return 0;
}

static int parse_counter(const char *line, size_t n, struct vm_count *c)
{
	static const char key[] = "SNAPFORK-COUNTER ";
	const char *p = memmem(line, n, key, sizeof key - 1);
	if (!p)
		return 0;
	char tmp[128];
	size_t k = n - (size_t)(p - line);
	if (k >= sizeof tmp)
		k = sizeof tmp - 1;
	memcpy(tmp, p, k);
	tmp[k] = '\0';
	char tag[48] = "";
	long v;
	if (sscanf(tmp, "SNAPFORK-COUNTER %ld tag=%47s", &v, tag) < 1)
		return 0;
	c->n = v;
	snprintf(c->tag, sizeof c->tag, "%s", tag);
	return 1;
}

size_t vm_counts(const struct vm *v, size_t from, struct vm_count *c, size_t max, int *ready)
{
	size_t k = 0;
	if (ready)
		*ready = 0;
	for (size_t at = from; at < v->len;) {
		const char *nl = memchr(v->out + at, '\n', v->len - at);
		if (!nl)
			break;
		size_t n = (size_t)(nl - (v->out + at));
		struct vm_count one;
		if (parse_counter(v->out + at, n, &one)) {
			if (k < max)
				c[k] = one;
			k++;
		} else if (ready && memmem(v->out + at, n, "SNAPFORK-READY", 14)) {
			*ready = 1;
		}
		at += n + 1;
	}
	return k;
}

const char *vm_partial(const struct vm *v, size_t *n)
{
	size_t at = v->len;
	while (at > 0 && v->out[at - 1] != '\n')
		at--;
	*n = v->len - at;
	return v->out ? v->out + at : "";
}
