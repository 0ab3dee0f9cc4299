/* report.c - what `snapfork powercut` found (power.h): a table of one row
 * per filesystem x fork x fixture, JSON in the shape of check's rows (so
 * `snapfork kernels` folds it into its table: F1-F6 and C3, C4), JUnit. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "power.h"

static const char *verdict(int c)
{
	return c < 0 ? "-" : c ? "FAIL" : "pass";
}

void power_print_header(void)
{
	printf("%-6s %-20s %-18s %6s %6s %6s %8s %5s %4s %5s %-5s %-5s %s\n", "fs", "fork", "fixture",
	       "states", "judged", "absent", "complete", "torn", "src", "unrec", "C3", "C4", "time");
}

void power_print_row(const struct power_row *w)
{
	const struct power_result *r = &w->r;
	if (r->error[0] && r->judged == 0) {
		printf("%-6s %-20s %-18s ERROR: %s\n", w->fs, w->mode, w->fixture, r->error);
		return;
	}
	printf("%-6s %-20s %-18s %6u %6u %6u %8u %5u %4u %5u %-5s %-5s %.0f s\n", w->fs, w->mode,
	       w->fixture, r->states, r->judged, r->absent, r->complete, r->torn, r->src_changed,
	       r->unrecovered, verdict(r->c3), verdict(r->c4), r->seconds);
	if (r->error[0])
		printf("  ERROR after %u states: %s\n", r->judged, r->error);
	if (r->first_bad >= 0)
		printf("  first bad state: log entry %ld (%s the fork returned): %s\n", r->first_bad,
		       r->first_bad_after ? "after" : "before", r->what);
	if (r->kept[0])
		printf("  kept: %s (the disk in that state; %s.log: the whole log)\n", r->kept, r->kept);
}

static json_t *rule(const char *result, const char *level)
{
	json_t *v = json_object();
	cli_json_set(v, "result", cli_json_str(result));
	cli_json_set(v, "level", cli_json_str(level));
	return v;
}

/* A row's rules: F1-F6 (and any other that failed) from the states
 * judged, C3 and C4. */
static json_t *rules(const struct power_result *r)
{
	json_t *o = json_object();
	char id[8];
	for (int k = 1; k <= 14; k++) {
		int failed = (r->failed >> k) & 1u;
		if (k > 6 && !failed)
			continue;
		snprintf(id, sizeof id, "F%d", k);
		cli_json_set(o, id, rule(failed ? "fail" : "pass", "MUST"));
	}
	if (r->c3 >= 0)
		cli_json_set(o, "C3", rule(r->c3 ? "fail" : "pass", "MUST"));
	if (r->c4 >= 0)
		cli_json_set(o, "C4", rule(r->c4 ? "fail" : "pass", "MUST"));
	return o;
}

int power_write_json(const char *path, const struct power_row *w, size_t n,
			const char *setup_error)
{
	json_t *top = json_object(), *rows = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct power_result *r = &w[i].r;
		json_t *x = json_object();
		char name[200];
		snprintf(name, sizeof name, "%s:%s:%s", w[i].fs, w[i].mode, w[i].fixture);
		cli_json_set(x, "name", cli_json_str(name));
		cli_json_set(x, "fs", cli_json_str(w[i].fs));
		cli_json_set(x, "fork", cli_json_str(w[i].mode));
		cli_json_set(x, "fixture", cli_json_str(w[i].fixture));
		cli_json_set(x, "fork_exit", json_integer(r->fork_rc));
		cli_json_set(x, "states", cli_json_uint(r->states));
		cli_json_set(x, "judged", cli_json_uint(r->judged));
		cli_json_set(x, "absent", cli_json_uint(r->absent));
		cli_json_set(x, "complete", cli_json_uint(r->complete));
		cli_json_set(x, "torn", cli_json_uint(r->torn));
		cli_json_set(x, "src_changed", cli_json_uint(r->src_changed));
		cli_json_set(x, "unrecovered", cli_json_uint(r->unrecovered));
		cli_json_set(x, "first_bad_entry", r->first_bad >= 0 ? json_integer(r->first_bad)
								     : json_null());
		cli_json_set(x, "what", cli_json_str(r->what[0] ? r->what : NULL));
		cli_json_set(x, "error", cli_json_str(r->error[0] ? r->error : NULL));
		cli_json_set(x, "seconds", json_real(r->seconds));
		if (!r->error[0] || r->judged)
			cli_json_set(x, "rules", rules(r));
		json_array_append_new(rows, x);
	}
	cli_json_set(top, "rows", rows);
	cli_json_set(top, "setup_error", cli_json_str(setup_error));
	return strcmp(path, "-") == 0 ? cli_json_print(stdout, top) : cli_json_write_file(path, top);
}

static void xml_text(FILE *f, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t')
				fputc(*s, f);
		}
}

int power_write_junit(const char *path, const struct power_row *w, size_t n,
		      const char *setup_error)
{
	int out = strcmp(path, "-") == 0;
	FILE *f = out ? stdout : fopen(path, "we");
	if (!f)
		return -1;
	unsigned failures = 0, errors = setup_error != NULL;
	for (size_t i = 0; i < n; i++) {
		errors += w[i].r.error[0] != 0;
		failures += !w[i].r.error[0] && (w[i].r.c3 == 1 || w[i].r.c4 == 1);
	}
	/* Named by its filesystems: kernels merges one suite per leg. */
	char name[64] = "snapfork powercut";
	for (size_t i = 0; i < n; i++)
		if (!strstr(name, w[i].fs) && strlen(name) + strlen(w[i].fs) + 2 < sizeof name)
			strcat(strcat(name, " "), w[i].fs);
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n"
		   "<testsuite name=\"%s\" tests=\"%zu\" failures=\"%u\" errors=\"%u\">\n",
		name, n + (setup_error != NULL), failures, errors);
	/* A run that could not start still says why to a CI's JUnit view. */
	if (setup_error) {
		fputs("<testcase classname=\"powercut\" name=\"setup\"><error message=\"", f);
		xml_text(f, setup_error);
		fputs("\"/></testcase>\n", f);
	}
	for (size_t i = 0; i < n; i++) {
		const struct power_result *r = &w[i].r;
		fprintf(f, "<testcase classname=\"powercut.%s\" name=\"", w[i].fs);
		xml_text(f, w[i].mode);
		fputc(':', f);
		xml_text(f, w[i].fixture);
		fprintf(f, "\" time=\"%.1f\">", r->seconds);
		if (r->error[0]) {
			fputs("<error message=\"", f);
			xml_text(f, r->error);
			fputs("\"/>", f);
		} else if (r->c3 == 1 || r->c4 == 1) {
			fprintf(f, "<failure message=\"%s at log entry %ld: ", r->c3 == 1 ? "C3" : "C4",
				r->first_bad);
			xml_text(f, r->what);
			fputs("\"/>", f);
		}
		fputs("</testcase>\n", f);
	}
	fputs("</testsuite>\n</testsuites>\n", f);
	if (out)
		return fflush(f) == 0 ? 0 : -1;
	return fclose(f) == 0 ? 0 : -1;
}
