/* run.c - a run of the conformance check: the machine it runs on, each
 * fixture's row, and the reference library as a fork function. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "child.h"
#include "conform.h"
#include "snapfork.h"

/* The reference implementation, in process.  On success msg says how
 * the mem-file got there, and why when it was not linked. */
int conform_fork_ref(void *ctx, const char *src, const char *dst, char *msg, size_t len)
{
	(void)ctx;
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	int r = snapfork_fork(src, dst, NULL, &rep);
	if (r < 0)
		snprintf(msg, len, "%s: %s (%s: %s)", rep.error_path,
			 rep.error_reason ? rep.error_reason : "", strerrorname_np(-r),
			 strerror(-r));
	else if (rep.mem_fallback_errno)
		snprintf(msg, len, "mem-file via %s; fallback: %s (%s: %s)",
			 snapfork_via_name(rep.mem_via),
			 rep.mem_fallback_reason ? rep.mem_fallback_reason : "",
			 strerrorname_np(rep.mem_fallback_errno), strerror(rep.mem_fallback_errno));
	else if (rep.kind != SNAPFORK_KIND_MEMORYLESS)
		snprintf(msg, len, "mem-file via %s", snapfork_via_name(rep.mem_via));
	return r;
}

/* The mount's options, then the superblock's that it does not repeat
 * ("rw,relatime" and "rw,discard" give "rw,relatime,discard"). */
static void merge_options(const char *mnt, const char *super, char *out, size_t len)
{
	size_t k = (size_t)snprintf(out, len, "%s", mnt);
	for (const char *p = super; *p && k < len; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
		size_t n = strcspn(p, ",");
		int seen = 0;
		for (const char *q = mnt; *q && !seen; q += strcspn(q, ",") + (q[strcspn(q, ",")] == ','))
			seen = strcspn(q, ",") == n && strncmp(q, p, n) == 0;
		if (!seen)
			k += (size_t)snprintf(out + k, len - k, ",%.*s", (int)n, p);
	}
}

/* The mount holding path: options from /proc/self/mountinfo (the
 * longest mount point that is a prefix of the path). */
static void mount_options(const char *path, char *out, size_t len)
{
	char real[PATH_MAX], line[8192], best[PATH_MAX] = "";
	snprintf(out, len, "unknown");
	if (!realpath(path, real))
		return;
	FILE *f = fopen("/proc/self/mountinfo", "r");
	while (f && fgets(line, sizeof line, f)) {
		char mnt[PATH_MAX], opts[1024], super[1024] = "", *dash = strstr(line, " - ");
		if (sscanf(line, "%*s %*s %*s %*s %4095s %1023s", mnt, opts) != 2 || !dash)
			continue;
		sscanf(dash + 3, "%*s %*s %1023s", super);
		size_t n = strlen(mnt);
		int prefix = strcmp(mnt, "/") == 0 ||
			     (strncmp(real, mnt, n) == 0 && (real[n] == '/' || real[n] == '\0'));
		if (prefix && n >= strlen(best)) {
			snprintf(best, sizeof best, "%s", mnt);
			merge_options(opts, super, out, len);
		}
	}
	if (f)
		fclose(f);
}

void conform_describe(struct conform_run *run, const char *scratch)
{
	struct utsname u;
	if (uname(&u) == 0)
		snprintf(run->kernel, sizeof run->kernel, "%s %s", u.sysname, u.release);
	snprintf(run->scratch, sizeof run->scratch, "%s", scratch);
	mount_options(scratch, run->mount_options, sizeof run->mount_options);
	struct snapfork_probe p = SNAPFORK_PROBE_INIT;
	if (snapfork_probe_at(AT_FDCWD, scratch, &p) == 0) {
		snprintf(run->fstype, sizeof run->fstype, "%s", p.fstype);
		snprintf(run->capabilities, sizeof run->capabilities,
			 "hardlink=%s reflink=%s seek_hole=%s copy_file_range=%s link_max=%ld",
			 p.hardlink ? "no" : "yes", p.reflink ? "no" : "yes",
			 p.seek_hole ? "no" : "yes", p.copy_range ? "no" : "yes", p.link_max);
	}
}

/* Row i: a fixture's; then the refusal base under each place (unless a
 * leg extracts snapshots its own way); then the refusal rows: a FIFO
 * planted, and (unless the leg plants its own failure) a device node. */
struct plan {
	size_t n, places, total;
	int device;
};

static const char *row_prefix(const struct plan *p, size_t i)
{
	if (i < p->n)
		return "";
	if (i < p->n + p->places)
		return conform_places[i - p->n].name;
	return i == p->n + p->places ? "refusal" : "refusal-device";
}

static int row_of(const struct conform_setup *c, const struct plan *p, const struct fixture *f,
		  size_t i, struct conform_row *row, char *err, size_t len)
{
	if (i < p->n && !f->refused)
		return conform_fixture(c, f, row, err, len);
	if (i >= p->n && i < p->n + p->places) {
		struct conform_setup pc = *c;
		pc.place = &conform_places[i - p->n];
		return conform_fixture(&pc, f, row, err, len);
	}
	if (i <= p->n + p->places)
		return conform_refusal(c, f, row, err, len);
	return conform_refusal_device(c, f, row, err, len);
}

int conform_run_fixtures(struct conform_run *run, const struct conform_setup *c,
			 const struct fixture *fx, size_t n, const struct fixture *refusal)
{
	struct plan p = { n, 0, 0, refusal && !(c->hooks && c->hooks->plant) };
	/* Not where a leg prepares its snapshots its own way (extracted into
	 * an overlay, a mem-file made immutable, links to the limit). */
	const struct conform_hooks *h = c->hooks;
	if (refusal && n > 0 && !refusal->refused && !(h && (h->extract || h->prepare || h->plant)))
		p.places = conform_nplaces;
	p.total = n + p.places + (refusal != NULL) + (size_t)p.device;
	run->rows = calloc(p.total, sizeof *run->rows);
	if (!run->rows)
		return -1;
	char err[1024];
	for (size_t i = 0; i < p.total; i++) {
		const struct fixture *f = i < n ? &fx[i] : refusal;
		const char *pre = row_prefix(&p, i);
		fprintf(stderr, "check: %s%s%s ...\n", pre, *pre ? ":" : "", f->name);
		if (child_interrupted()) { /* the command stops its children and says so */
			snprintf(run->setup_error, sizeof run->setup_error,
				 "stopped by signal %d before %s", child_interrupted(), f->name);
			return -1;
		}
		int r = row_of(c, &p, f, i, &run->rows[i], err, sizeof err);
		run->n = i + 1;
		if (r < 0) {
			if (r != -EINTR) /* the command says it was stopped */
				fprintf(stderr, "snapfork check: %s: setup failed: %s\n", f->name, err);
			snprintf(run->setup_error, sizeof run->setup_error, "%s: %s", f->name, err);
			return -1;
		}
	}
	return 0;
}

int conform_run_failed(const struct conform_run *run)
{
	for (size_t i = 0; i < run->n; i++)
		if (conform_row_failed(&run->rows[i]))
			return 1;
	return 0;
}

void conform_run_free(struct conform_run *run)
{
	for (size_t i = 0; i < run->n; i++)
		conform_row_free(&run->rows[i]);
	free(run->rows);
	run->rows = NULL;
	run->n = 0;
}
