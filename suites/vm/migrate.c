/* migrate.c - saving a template and restoring a fork with QEMU's
 * migration, the "VM templating" way (as Kata Containers does it):
 * with the x-ignore-shared capability the guest RAM, a shared
 * memory-backend-file, is not written to the stream: it stays in the
 * mem-file and the state file holds only devices and CPUs (~300 KiB).
 * A fork maps its mem-file share=off (MAP_PRIVATE), so its guest's
 * writes stay in its own anonymous pages (mm/memory.c, do_wp_page:
 * copy-on-write).  QMP: docs/interop/qmp-spec.rst and qapi/migration.json
 * (the MIGRATION event, the "events" capability). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "child.h"
#include "vmcheck.h"

/* Each QMP command's own limit: answers come in milliseconds, but a
 * 2-core host running TCG guests can be slow to schedule QEMU's monitor. */
#define QMP_STEP_MS 20000

/* x-ignore-shared (the RAM stays in the mem-file) and events (QEMU sends
 * MIGRATION events as the migration's status changes: no polling). */
static int capabilities(struct vm *v, char *err, size_t len)
{
	json_t *caps = json_pack("{s:[{s:s,s:b},{s:s,s:b}]}", "capabilities", "capability",
				 "x-ignore-shared", "state", 1, "capability", "events", "state", 1);
	int r = qmp_execute(&v->qmp, "migrate-set-capabilities", caps, QMP_STEP_MS, NULL);
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

/* Why a migration failed: query-migrate's error-desc. */
static void failure(struct vm *v, char *err, size_t len)
{
	json_t *ret = NULL;
	const char *desc = NULL;
	if (qmp_execute(&v->qmp, "query-migrate", NULL, QMP_STEP_MS, &ret) == 0)
		desc = json_string_value(json_object_get(ret, "error-desc"));
	snprintf(err, len, "migration %s: %s", v->qmp.migration, desc ? desc : "(no reason given)");
	json_decref(ret);
}

/* Wait for the MIGRATION event that ends it, up to timeout_ms. */
static int wait_migration(struct vm *v, int timeout_ms, char *err, size_t len)
{
	int r = qmp_wait_migration(&v->qmp, timeout_ms);
	if (r == -ETIMEDOUT) {
		char tail[600];
		vm_qemu_tail(v, tail, sizeof tail);
		snprintf(err, len, "migration still '%s' after %d s; QEMU: %s",
			 v->qmp.migration[0] ? v->qmp.migration : "not started", timeout_ms / 1000,
			 tail);
		return r;
	}
	if (r < 0) {
		qemu_said(v, v->qmp.err, err, len);
		return r;
	}
	if (strcmp(v->qmp.migration, "completed") == 0)
		return 0;
	failure(v, err, len);
	return -EIO;
}

/* QEMU runs an exec: URI with /bin/sh -c (migration/exec.c). */
static int migrate(struct vm *v, const char *command, const char *shell, const char *path,
		   int timeout_ms, char *err, size_t len)
{
	char *q = child_sh_quote(path), *uri = NULL;
	if (!q || asprintf(&uri, "exec:%s %s", shell, q) < 0)
		uri = NULL;
	free(q);
	if (!uri) {
		snprintf(err, len, "out of memory");
		return -ENOMEM;
	}
	v->qmp.migration[0] = '\0';
	int r = qmp_execute(&v->qmp, command, json_pack("{s:s}", "uri", uri), QMP_STEP_MS, NULL);
	free(uri);
	if (r < 0) {
		qemu_said(v, v->qmp.err, err, len);
		return r;
	}
	return wait_migration(v, timeout_ms, err, len);
}

int vm_save(struct vm *v, const char *state_path, char *err, size_t len)
{
	int r = qmp_execute(&v->qmp, "stop", NULL, QMP_STEP_MS, NULL);
	if (r < 0) {
		snprintf(err, len, "QMP %s", v->qmp.err);
		return r;
	}
	r = capabilities(v, err, len);
	if (r == 0)
		r = migrate(v, "migrate", "cat >", state_path, 60000, err, len);
	return r;
}

int vm_restore(struct vm *v, const char *state_path, int timeout_ms, char *err, size_t len)
{
	int r = capabilities(v, err, len);
	if (r == 0)
		r = migrate(v, "migrate-incoming", "cat", state_path, timeout_ms, err, len);
	return r;
}
