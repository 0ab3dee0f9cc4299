/* qmp.c - see qmp.h.  QMP (docs/interop/qmp-spec.rst in QEMU): the server
 * greets with {"QMP": {...}}, accepts nothing but qmp_capabilities until
 * then, answers each {"execute": ...} with {"return": ...} or {"error":
 * {"class", "desc"}}, and may send {"event": ...} objects at any time. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "qmp.h"

static int fail(struct qmp *q, int err, const char *what)
{
	snprintf(q->err, sizeof q->err, "%s", what);
	return err;
}

/* One line (a JSON object) into out, waiting until deadline. */
static int read_line(struct qmp *q, int64_t deadline, char *out, size_t len)
{
	for (;;) {
		char *nl = memchr(q->buf, '\n', q->len);
		if (nl) {
			size_t n = (size_t)(nl - q->buf);
			if (n >= len)
				return fail(q, -EPROTO, "a QMP line longer than the buffer");
			memcpy(out, q->buf, n);
			out[n] = '\0';
			memmove(q->buf, nl + 1, q->len - n - 1);
			q->len -= n + 1;
			return 0;
		}
		if (q->len == sizeof q->buf)
			return fail(q, -EPROTO, "a QMP line longer than the buffer");
		int64_t left = deadline - child_now_ms();
		if (child_interrupted())
			return fail(q, -EINTR, "interrupted by a signal");
		/* The signal's eventfd too: a signal between the check above
		 * and poll() still ends the wait. */
		struct pollfd p[2] = { { q->fd, POLLIN, 0 }, { child_signal_fd(), POLLIN, 0 } };
		int r = left > 0 ? poll(p, p[1].fd >= 0 ? 2 : 1, (int)left) : 0;
		if (r == 0)
			return fail(q, -ETIMEDOUT, "no answer from QEMU in time");
		if (r < 0 && errno != EINTR)
			return fail(q, -errno, "poll on the QMP socket failed");
		if (r < 0 || !p[0].revents)
			continue;
		ssize_t k = read(q->fd, q->buf + q->len, sizeof q->buf - q->len);
		if (k == 0)
			return fail(q, -ECONNRESET, "QEMU closed the QMP socket");
		if (k < 0 && errno != EINTR && errno != EAGAIN)
			return fail(q, -errno, "reading the QMP socket failed");
		if (k > 0)
			q->len += (size_t)k;
	}
}

/* An event: counted; a MIGRATION event's status kept (qapi/migration.json:
 * {"event": "MIGRATION", "data": {"status": ...}}, sent once the
 * "events" migration capability is on). */
static void note_event(struct qmp *q, json_t *v)
{
	q->events++;
	const char *name = json_string_value(json_object_get(v, "event"));
	if (!name || strcmp(name, "MIGRATION") != 0)
		return;
	const char *st = json_string_value(json_object_get(json_object_get(v, "data"), "status"));
	snprintf(q->migration, sizeof q->migration, "%s", st ? st : "");
}

/* The next JSON object that is not an event, until deadline; with
 * one_event, an event (noted) also ends the wait, *out NULL. */
static int read_object(struct qmp *q, int64_t deadline, int one_event, json_t **out)
{
	static char line[65536];
	for (;;) {
		int r = read_line(q, deadline, line, sizeof line);
		if (r < 0)
			return r;
		json_error_t je;
		json_t *v = json_loads(line, 0, &je);
		if (!json_is_object(v)) {
			json_decref(v);
			snprintf(q->err, sizeof q->err, "not QMP: %.200s", line);
			return -EPROTO;
		}
		if (json_object_get(v, "event")) {
			note_event(q, v);
			json_decref(v);
			if (one_event)
				return 0;
			continue;
		}
		*out = v;
		return 0;
	}
}

/* The reply to request id: replies to earlier requests (that came after
 * their command timed out) are skipped.  QEMU echoes every id; a reply
 * without one is an answer only as an error (input QEMU could not parse). */
static int read_reply(struct qmp *q, int64_t deadline, unsigned long id, json_t **out)
{
	for (;;) {
		json_t *v = NULL;
		int r = read_object(q, deadline, 0, &v);
		if (r < 0)
			return r;
		json_t *got = json_object_get(v, "id");
		if ((got && json_is_integer(got) && (unsigned long)json_integer_value(got) == id) ||
		    (!got && json_object_get(v, "error"))) {
			*out = v;
			return 0;
		}
		json_decref(v);
	}
}

static int connect_until(struct qmp *q, const char *path, int64_t deadline)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sa.sun_path)
		return fail(q, -ENAMETOOLONG, "the QMP socket's path is too long");
	strcpy(sa.sun_path, path);
	for (;;) {
		q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (q->fd < 0)
			return fail(q, -errno, "socket() failed");
		if (connect(q->fd, (struct sockaddr *)&sa, sizeof sa) == 0)
			return 0;
		int e = errno;
		close(q->fd);
		q->fd = -1;
		if ((e != ENOENT && e != ECONNREFUSED) || child_now_ms() >= deadline)
			return fail(q, e == ENOENT || e == ECONNREFUSED ? -ETIMEDOUT : -e,
				    "cannot connect to QEMU's QMP socket");
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

int qmp_connect(struct qmp *q, const char *path, int timeout_ms)
{
	memset(q, 0, sizeof *q);
	q->fd = -1;
	q->next_id = 1;
	int64_t deadline = child_now_ms() + timeout_ms;
	int r = connect_until(q, path, deadline);
	json_t *greeting = NULL;
	if (r == 0)
		r = read_object(q, deadline, 0, &greeting);
	if (r == 0 && !json_object_get(greeting, "QMP"))
		r = fail(q, -EPROTO, "the first message is no QMP greeting");
	json_decref(greeting);
	int64_t left = deadline - child_now_ms();
	if (r == 0)
		r = qmp_execute(q, "qmp_capabilities", NULL, left > 1 ? (int)left : 1, NULL);
	if (r < 0)
		qmp_close(q);
	return r;
}

static int write_all(struct qmp *q, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t k = send(q->fd, s, n, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return fail(q, errno == EPIPE ? -ECONNRESET : -errno,
				    "writing to the QMP socket failed");
		s += k;
		n -= (size_t)k;
	}
	return 0;
}

int qmp_execute(struct qmp *q, const char *command, json_t *args, int timeout_ms,
		json_t **ret)
{
	if (ret)
		*ret = NULL;
	if (q->fd < 0) {
		json_decref(args);
		return fail(q, -ENOTCONN, "not connected");
	}
	unsigned long id = q->next_id++;
	json_t *msg = json_pack("{s:s,s:I}", "execute", command, "id", (json_int_t)id);
	if (args)
		json_object_set_new(msg, "arguments", args);
	char *text = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (!text)
		return fail(q, -ENOMEM, "out of memory");
	int r = write_all(q, text, strlen(text));
	if (r == 0)
		r = write_all(q, "\n", 1);
	free(text);
	json_t *reply = NULL;
	if (r == 0)
		r = read_reply(q, child_now_ms() + timeout_ms, id, &reply);
	if (r == -ETIMEDOUT)
		snprintf(q->err, sizeof q->err, "no answer to %s from QEMU within %d ms", command,
			 timeout_ms);
	if (r < 0)
		return r;
	json_t *err = json_object_get(reply, "error");
	if (err) {
		const char *cls = json_string_value(json_object_get(err, "class"));
		const char *desc = json_string_value(json_object_get(err, "desc"));
		snprintf(q->err, sizeof q->err, "%s: %s: %s", command, cls ? cls : "error",
			 desc ? desc : "");
		r = -EIO;
	} else if (!json_object_get(reply, "return")) {
		r = fail(q, -EPROTO, "a reply with neither return nor error");
	} else if (ret) {
		*ret = json_incref(json_object_get(reply, "return"));
	}
	json_decref(reply);
	return r;
}

static int migration_over(const char *status)
{
	return strcmp(status, "completed") == 0 || strcmp(status, "failed") == 0 ||
	       strcmp(status, "cancelled") == 0;
}

int qmp_wait_migration(struct qmp *q, int timeout_ms)
{
	int64_t deadline = child_now_ms() + timeout_ms;
	while (!migration_over(q->migration)) {
		json_t *v = NULL; /* only events are expected: anything else is stale */
		int r = read_object(q, deadline, 1, &v);
		json_decref(v);
		if (r == -ETIMEDOUT)
			snprintf(q->err, sizeof q->err, "no MIGRATION event ending it within %d ms",
				 timeout_ms);
		if (r < 0)
			return r;
	}
	return 0;
}

void qmp_close(struct qmp *q)
{
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
}
