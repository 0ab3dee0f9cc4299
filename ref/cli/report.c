/* report.c - the fork report as text and as JSON (field names documented
 * in README.md, "JSON output"; keep them stable). */
#include <string.h>

#include "cli.h"
#include "report.h"

void report_error_path(const struct snapfork_report *r, const char *src, const char *dst, char *out,
		       size_t len)
{
	const char *root = r->error_side == SNAPFORK_SIDE_SRC   ? src
			   : r->error_side == SNAPFORK_SIDE_DST ? dst
								: NULL;
	if (!root)
		snprintf(out, len, "%s", r->error_path);
	else if (!r->error_path[0])
		snprintf(out, len, "%s", root);
	else
		snprintf(out, len, "%s/%s", root, r->error_path);
}

static void mem_line(FILE *f, const struct snapfork_report *r)
{
	char b[32];
	if (r->kind == SNAPFORK_KIND_MEMORYLESS) {
		fprintf(f, "  mem-file: none (memoryless snapshot)\n");
		return;
	}
	fprintf(f, "  mem-file: %s (%s) via %s", r->mem_path, cli_bytes(r->mem_size, b, sizeof b),
		snapfork_via_name(r->mem_via));
	if (r->mem_source[0])
		fprintf(f, " from %s", r->mem_source);
	if (r->mem_fallback_errno)
		fprintf(f, "; fallback: %s (%s: %s)",
			r->mem_fallback_reason ? r->mem_fallback_reason : "refused",
			strerrorname_np(r->mem_fallback_errno), strerror(r->mem_fallback_errno));
	fputc('\n', f);
}

void report_text(FILE *f, const char *src, const char *dst, const struct snapfork_report *r)
{
	char b1[32], b2[32], b3[32];
	fprintf(f, "forked %s -> %s in %.3f ms (%s snapshot)\n", src, dst,
		(double)r->elapsed_ns / 1e6, snapfork_kind_name(r->kind));
	mem_line(f, r);
	fprintf(f, "  entries: %llu dirs, %llu files, %llu symlinks, %llu skipped\n",
		(unsigned long long)r->dirs, (unsigned long long)r->files,
		(unsigned long long)r->symlinks, (unsigned long long)r->skipped);
	fprintf(f, "  files by method: %llu reflink, %llu range, %llu rw\n",
		(unsigned long long)r->files_reflinked, (unsigned long long)r->files_range,
		(unsigned long long)r->files_rw);
	fprintf(f, "  bytes: %s linked, %s reflinked, %s of data copied\n",
		cli_bytes(r->bytes_linked, b1, sizeof b1),
		cli_bytes(r->bytes_reflinked, b2, sizeof b2),
		cli_bytes(r->bytes_copied, b3, sizeof b3));
}

static json_t *mem_json(const struct snapfork_report *r)
{
	json_t *m = json_object();
	cli_json_set(m, "path", cli_json_str(r->mem_path[0] ? r->mem_path : NULL));
	cli_json_set(m, "source", cli_json_str(r->mem_source[0] ? r->mem_source : NULL));
	cli_json_set(m, "via", cli_json_str(snapfork_via_name(r->mem_via)));
	cli_json_set(m, "size", cli_json_uint(r->mem_size));
	cli_json_set(m, "fallback_errno", json_integer(r->mem_fallback_errno));
	cli_json_set(m, "fallback_error",
		     cli_json_str(r->mem_fallback_errno ? strerror(r->mem_fallback_errno) : NULL));
	cli_json_set(m, "fallback_reason", cli_json_str(r->mem_fallback_reason));
	return m;
}

static json_t *counts_json(const struct snapfork_report *r)
{
	json_t *c = json_object();
	cli_json_set(c, "dirs", cli_json_uint(r->dirs));
	cli_json_set(c, "files", cli_json_uint(r->files));
	cli_json_set(c, "symlinks", cli_json_uint(r->symlinks));
	cli_json_set(c, "skipped", cli_json_uint(r->skipped));
	cli_json_set(c, "files_reflinked", cli_json_uint(r->files_reflinked));
	cli_json_set(c, "files_range", cli_json_uint(r->files_range));
	cli_json_set(c, "files_rw", cli_json_uint(r->files_rw));
	return c;
}

static json_t *error_json(const struct snapfork_report *r, const char *src, const char *dst)
{
	if (!r->error)
		return json_null();
	char path[8192];
	report_error_path(r, src, dst, path, sizeof path);
	json_t *e = json_object();
	cli_json_set(e, "errno", json_integer(-r->error));
	cli_json_set(e, "message", cli_json_str(strerror(-r->error)));
	cli_json_set(e, "path", cli_json_str(path));
	cli_json_set(e, "reason", cli_json_str(r->error_reason));
	return e;
}

json_t *report_json(const char *src, const char *dst, const struct snapfork_report *r)
{
	json_t *o = json_object(), *b = json_object();
	cli_json_set(o, "ok", json_boolean(r->error == 0));
	cli_json_set(o, "src", cli_json_str(src));
	cli_json_set(o, "dst", cli_json_str(dst));
	cli_json_set(o, "kind", cli_json_str(snapfork_kind_name(r->kind)));
	cli_json_set(o, "mem", mem_json(r));
	cli_json_set(o, "counts", counts_json(r));
	cli_json_set(b, "linked", cli_json_uint(r->bytes_linked));
	cli_json_set(b, "reflinked", cli_json_uint(r->bytes_reflinked));
	cli_json_set(b, "copied", cli_json_uint(r->bytes_copied));
	cli_json_set(o, "bytes", b);
	cli_json_set(o, "elapsed_ns", cli_json_uint(r->elapsed_ns));
	cli_json_set(o, "error", error_json(r, src, dst));
	return o;
}
