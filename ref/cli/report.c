/* report.c - the fork report as text and as JSON (field names documented
 * in README.md, "JSON output"; keep them stable). */
#include <string.h>

#include "cli.h"
#include "report.h"

void report_error_path(const struct snapfork_report *r, const char *src, const char *dst,
		       char *out, size_t len)
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
		fprintf(f, "; fallback: %s (%s)",
			r->mem_fallback_reason ? r->mem_fallback_reason : "refused",
			strerror(r->mem_fallback_errno));
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
	fprintf(f, "  bytes: %s linked, %s reflinked, %s copied (apparent sizes)\n",
		cli_bytes(r->bytes_linked, b1, sizeof b1), cli_bytes(r->bytes_reflinked, b2, sizeof b2),
		cli_bytes(r->bytes_copied, b3, sizeof b3));
}

void report_json(struct json *j, const char *src, const char *dst, const struct snapfork_report *r)
{
	json_object_begin(j, NULL);
	json_bool(j, "ok", r->error == 0);
	json_string(j, "src", src);
	json_string(j, "dst", dst);
	json_string(j, "kind", snapfork_kind_name(r->kind));
	json_object_begin(j, "mem");
	json_string(j, "path", r->mem_path[0] ? r->mem_path : NULL);
	json_string(j, "source", r->mem_source[0] ? r->mem_source : NULL);
	json_string(j, "via", snapfork_via_name(r->mem_via));
	json_uint(j, "size", r->mem_size);
	json_int(j, "fallback_errno", r->mem_fallback_errno);
	json_string(j, "fallback_error", r->mem_fallback_errno ? strerror(r->mem_fallback_errno) : NULL);
	json_string(j, "fallback_reason", r->mem_fallback_reason);
	json_object_end(j);
	json_object_begin(j, "counts");
	json_uint(j, "dirs", r->dirs);
	json_uint(j, "files", r->files);
	json_uint(j, "symlinks", r->symlinks);
	json_uint(j, "skipped", r->skipped);
	json_uint(j, "files_reflinked", r->files_reflinked);
	json_uint(j, "files_range", r->files_range);
	json_uint(j, "files_rw", r->files_rw);
	json_object_end(j);
	json_object_begin(j, "bytes");
	json_uint(j, "linked", r->bytes_linked);
	json_uint(j, "reflinked", r->bytes_reflinked);
	json_uint(j, "copied", r->bytes_copied);
	json_object_end(j);
	json_uint(j, "elapsed_ns", r->elapsed_ns);
	if (r->error) {
		char path[8192];
		report_error_path(r, src, dst, path, sizeof path);
		json_object_begin(j, "error");
		json_int(j, "errno", -r->error);
		json_string(j, "message", strerror(-r->error));
		json_string(j, "path", path);
		json_string(j, "reason", r->error_reason);
		json_object_end(j);
	} else {
		json_string(j, "error", NULL);
	}
	json_object_end(j);
}
