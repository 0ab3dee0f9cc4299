/* qmp.h - a QEMU Machine Protocol client: JSON over a unix socket, one
 * object per line, with a time limit on every wait (a QEMU that hangs in
 * "inmigrate" must not hang the harness), chosen per command and named
 * in the error.  Each request carries an "id" and only the reply with
 * that id answers it: a reply that comes after its command timed out is
 * skipped, never read as the next command's answer.  For `snapfork
 * vmcheck` and `snapfork kernels`; it knows nothing of forks. */
#ifndef SNAPFORK_QMP_H
#define SNAPFORK_QMP_H

#include <stddef.h>

#include <jansson.h>

struct qmp {
	int fd;
	char buf[65536]; /* bytes read, not yet a whole line */
	size_t len;
	char err[512]; /* why the last call failed, for the report */
	unsigned events; /* asynchronous events seen so far */
	unsigned long next_id; /* the id of the next request */
	char migration[32]; /* the status of the last MIGRATION event, or "" */
};

/* Connect to the QMP socket at path (retrying while QEMU has not made it
 * yet, up to timeout_ms: the connection, the greeting and the capability
 * negotiation together).  0, or -errno with q->err set: -ETIMEDOUT,
 * -EPROTO (not QMP), -ECONNRESET. */
int qmp_connect(struct qmp *q, const char *path, int timeout_ms);
/* Run command with args (a JSON object, or NULL; its reference is taken)
 * and wait up to timeout_ms for the reply with its id, noting events.
 * *ret gets the "return" value (a new reference; NULL allowed).  0; -EIO
 * when QEMU answered with an error (q->err holds its class and desc);
 * -ETIMEDOUT (q->err names the command and the limit), -EPROTO,
 * -ECONNRESET as above. */
int qmp_execute(struct qmp *q, const char *command, json_t *args, int timeout_ms,
		json_t **ret);
/* Read events until the MIGRATION event says completed, failed or
 * cancelled, or until timeout_ms: 0 with q->migration set, or -ETIMEDOUT
 * (q->migration: the last status seen, "" for none) and the errors above. */
int qmp_wait_migration(struct qmp *q, int timeout_ms);
void qmp_close(struct qmp *q);

#endif
