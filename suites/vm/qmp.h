/* qmp.h - a QEMU Machine Protocol client: JSON over a unix socket, one
 * object per line, with a time limit on every wait (a QEMU that hangs in
 * "inmigrate" must not hang the harness).  For the VM tooling of
 * `snapfork vmcheck` (issue 14, in progress); it knows nothing of forks. */
#ifndef SNAPFORK_QMP_H
#define SNAPFORK_QMP_H

#include <stddef.h>

#include <jansson.h>

struct qmp {
	int fd;
	int timeout_ms;  /* for each wait: connect, greeting, reply */
	char buf[65536]; /* bytes read, not yet a whole line */
	size_t len;
	char err[512]; /* why the last call failed, for the report */
	unsigned events; /* asynchronous events seen (and skipped) so far */
};

/* Connect to the QMP socket at path (retrying while QEMU has not made it
 * yet, up to timeout_ms), read the greeting, negotiate capabilities.
 * 0, or -errno with q->err set: -ETIMEDOUT, -EPROTO (not QMP), -ECONNRESET. */
int qmp_connect(struct qmp *q, const char *path, int timeout_ms);
/* Run command with args (a JSON object, or NULL; its reference is taken)
 * and wait for its reply, skipping events.  *ret gets the "return" value
 * (a new reference; NULL allowed).  0; -EIO when QEMU answered with an
 * error (q->err holds its class and desc); -ETIMEDOUT, -EPROTO,
 * -ECONNRESET as above. */
int qmp_execute(struct qmp *q, const char *command, json_t *args, json_t **ret);
void qmp_close(struct qmp *q);

#endif
