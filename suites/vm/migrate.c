/* migrate.c - saving a template and restoring a fork with QEMU's
 * migration, the "VM templating" way (as Kata Containers does it):
 * with the x-ignore-shared capability the guest RAM, a shared
 * memory-backend-file, is not written to the stream: it stays in the
 * mem-file and the state file holds only devices and CPUs (~300 KiB).
 * A fork maps its mem-file share=off (MAP_PRIVATE), so its guest's
 * writes stay in its own anonymous pages (mm/memory.c, do_wp_page:
 * copy-on-write).  QMP: docs/interop/qmp-spec.rst and qapi/migration.json. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "forkcmd.h"
#include "vmcheck.h"

static int ignore_shared(struct vm *v, char *err, size_t len)
{
	json_t *caps = json_pack("{s:[{s:s,s:b}]}", "capabilities", "capability",
				 "x-ignore-shared", "state", 1);
	int r = qmp_execute(&v->qmp, "migrate-set-capabilities", caps, NULL);
	if (r < 0)
		snprintf(err, len, "QMP %s", v->qmp.err);
	return r;
}

/* What went wrong, when QEMU itself said it (it exits after a failed
 * incoming migration, printing why). */
static void qemu_said(struct vm *v, const char *what, char *err, size_t len)
{
	char tail[700];
	vm_reap(v, 2000);
	vm_qemu_tail(v, tail, sizeof tail);
	snprintf(err, len, "%s; QEMU: %s", what, tail);
}

/* Poll query-migrate until it completes or fails, up to timeout_ms. */
static int wait_migration(struct vm *v, int timeout_ms, char *err, size_t len)
{
	for (long end = vm_now_ms() + timeout_ms;;) {
		json_t *ret = NULL;
		int r = qmp_execute(&v->qmp, "query-migrate", NULL, &ret);
		if (r < 0) {
			qemu_said(v, v->qmp.err, err, len);
			return r;
		}
		const char *st = json_string_value(json_object_get(ret, "status"));
		char status[64];
		snprintf(status, sizeof status, "%s", st ? st : "none");
		const char *desc = json_string_value(json_object_get(ret, "error-desc"));
		if (strcmp(status, "failed") == 0)
			snprintf(err, len, "migration failed: %s", desc ? desc : "(no reason given)");
		json_decref(ret);
		if (strcmp(status, "completed") == 0)
			return 0;
		if (strcmp(status, "failed") == 0)
			return -EIO;
		if (vm_interrupted())
			return -EINTR;
		if (vm_now_ms() > end) {
			char tail[600];
			vm_qemu_tail(v, tail, sizeof tail);
			snprintf(err, len, "migration still '%s' after %d s; QEMU: %s", status,
				 timeout_ms / 1000, tail);
			return -ETIMEDOUT;
		}
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

static int migrate(struct vm *v, const char *command, const char *tmpl, const char *path,
		   int timeout_ms, char *err, size_t len)
{
	char *uri = forkcmd_expand(tmpl, "", path);
	if (!uri) {
		snprintf(err, len, "out of memory");
		return -ENOMEM;
	}
	int r = qmp_execute(&v->qmp, command, json_pack("{s:s}", "uri", uri), NULL);
	free(uri);
	if (r < 0) {
		qemu_said(v, v->qmp.err, err, len);
		return r;
	}
	return wait_migration(v, timeout_ms, err, len);
}

int vm_save(struct vm *v, const char *state_path, char *err, size_t len)
{
	int r = qmp_execute(&v->qmp, "stop", NULL, NULL);
	if (r < 0) {
		snprintf(err, len, "QMP %s", v->qmp.err);
		return r;
	}
	r = ignore_shared(v, err, len);
	if (r == 0)
		r = migrate(v, "migrate", "exec:cat > {dst}", state_path, 60000, err, len);
	return r;
}

int vm_restore(struct vm *v, const char *state_path, int timeout_ms, char *err, size_t len)
{
	int r = ignore_shared(v, err, len);
	if (r == 0)
		r = migrate(v, "migrate-incoming", "exec:cat {dst}", state_path, timeout_ms, err,
			    len);
	return r;
}
