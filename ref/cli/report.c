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

void report_json(struct jw *j, const char *src, const char *dst, const struct snapfork_report *r)
{
	jw_object_begin(j, NULL);
	jw_bool(j, "ok", r->error == 0);
	jw_string(j, "src", src);
	jw_string(j, "dst", dst);
	jw_string(j, "kind", snapfork_kind_name(r->kind));
	jw_object_begin(j, "mem");
	jw_string(j, "path", r->mem_path[0] ? r->mem_path : NULL);
	jw_string(j, "source", r->mem_source[0] ? r->mem_source : NULL);
	jw_string(j, "via", snapfork_via_name(r->mem_via));
	jw_uint(j, "size", r->mem_size);
	jw_int(j, "fallback_errno", r->mem_fallback_errno);
	jw_string(j, "fallback_error",
		  r->mem_fallback_errno ? strerror(r->mem_fallback_errno) : NULL);
	jw_string(j, "fallback_reason", r->mem_fallback_reason);
	jw_object_end(j);
	jw_object_begin(j, "counts");
	jw_uint(j, "dirs", r->dirs);
	jw_uint(j, "files", r->files);
	jw_uint(j, "symlinks", r->symlinks);
	jw_uint(j, "skipped", r->skipped);
	jw_uint(j, "files_reflinked", r->files_reflinked);
	jw_uint(j, "files_range", r->files_range);
	jw_uint(j, "files_rw", r->files_rw);
	jw_object_end(j);
	jw_object_begin(j, "bytes");
	jw_uint(j, "linked", r->bytes_linked);
	jw_uint(j, "reflinked", r->bytes_reflinked);
	jw_uint(j, "copied", r->bytes_copied);
	jw_object_end(j);
	jw_uint(j, "elapsed_ns", r->elapsed_ns);
	if (r->error) {
		char path[8192];
		report_error_path(r, src, dst, path, sizeof path);
		jw_object_begin(j, "error");
		jw_int(j, "errno", -r->error);
		jw_string(j, "message", strerror(-r->error));
		jw_string(j, "path", path);
		jw_string(j, "reason", r->error_reason);
		jw_object_end(j);
	} else {
		jw_string(j, "error", NULL);
	}
	jw_object_end(j);
}
