/* report.c - vmcheck's table, JUnit XML and JSON.  A round's testcase
 * fails when its rule failed; a control's testcase fails when its rule
 * did NOT fail (the harness could not see the sabotage). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "vmcheck.h"

static const char *const cell_names[] = { "-", "PASS", "FAIL", "SKIP" };

static void timings(FILE *out, const struct vm_row *row)
{
	fprintf(out, "  %-22s fork", row->name);
	for (unsigned i = 0; i < row->forks; i++)
		fprintf(out, " %.0f", row->fork_ms[i]);
	fprintf(out, " ms; restore");
	for (unsigned i = 0; i < row->forks; i++)
		fprintf(out, " %.2f", row->restore_ms[i] / 1000);
	fprintf(out, " s; resume");
	for (unsigned i = 0; i < row->forks; i++)
		if (row->resume_ms[i] > 0)
			fprintf(out, " %.2f", row->resume_ms[i] / 1000);
		else
			fprintf(out, " -");
	fprintf(out, " s\n");
}

static void print_rows(FILE *out, const struct vm_run *run, int controls)
{
	for (size_t i = 0; i < run->n; i++) {
		const struct vm_row *row = &run->rows[i];
		if ((row->expect >= 0) != controls)
			continue;
		fprintf(out, "%-22s", row->name);
		for (int r = 0; r < VR_N; r++)
			fprintf(out, " %-9s", cell_names[row->cell[r]]);
		if (controls)
			fprintf(out, " %s", vm_row_detected(row) ? "detected" : "NOT DETECTED");
		fputc('\n', out);
	}
}

static void print_details(FILE *out, const struct vm_run *run)
{
	for (size_t i = 0; i < run->n; i++) {
		const struct vm_row *row = &run->rows[i];
		for (int r = 0; r < VR_N; r++) {
			if (row->cell[r] != CONFORM_FAIL && row->cell[r] != CONFORM_SKIP)
				continue;
			const char *what = row->expect == r ? "detected, as it must be"
					   : row->cell[r] == CONFORM_FAIL ? "FAIL"
									   : "SKIP";
			fprintf(out, "\n%s: %s: %s (%s)\n", row->name, vm_rule_name(r), what,
				vm_rule_title(r));
			conform_print_detail(out, row->detail[r], 8);
		}
		if (row->expect >= 0 && !vm_row_detected(row))
			fprintf(out, "\n%s: NOT DETECTED: %s (%s) should have failed\n", row->name,
				vm_rule_name(row->expect), row->what);
	}
}

void vm_print_table(FILE *out, const struct vm_run *run)
{
	fprintf(out, "%-22s", "round");
	for (int r = 0; r < VR_N; r++)
		fprintf(out, " %-9s", vm_rule_name(r));
	fputc('\n', out);
	print_rows(out, run, 0);
	fprintf(out, "negative controls (each must fail its rule):\n");
	print_rows(out, run, 1);
	print_details(out, run);
	fprintf(out, "\nwhat each row does:\n");
	for (size_t i = 0; i < run->n; i++)
		fprintf(out, "  %-22s %s%s%s\n", run->rows[i].name, run->rows[i].what,
			run->rows[i].note[0] ? "; the fork said: " : "", run->rows[i].note);
	fprintf(out, "\ntimings: templates boot %.1f s and %.1f s (two guests at once), save %.2f s\n",
		run->t[0].boot_ms / 1000, run->t[1].boot_ms / 1000, run->t[0].save_ms / 1000);
	for (size_t i = 0; i < run->n; i++)
		timings(out, &run->rows[i]);
	fprintf(out, "  whole run %.1f s\n", run->wall_ms / 1000);
}

static void testcase(FILE *f, const struct vm_row *row, int r)
{
	int control = row->expect == r;
	int bad = control ? row->cell[r] != CONFORM_FAIL : row->cell[r] == CONFORM_FAIL;
	fputs("    <testcase classname=\"", f);
	conform_xml_text(f, row->name);
	fprintf(f, "\" name=\"%s%s: %s\"", control ? "control fails " : "", vm_rule_name(r),
		vm_rule_title(r));
	const char *d = row->detail[r] ? row->detail[r] : "";
	if (!bad && row->cell[r] != CONFORM_SKIP) {
		fputs("/>\n", f);
		return;
	}
	fputs(">\n", f);
	if (bad) {
		fputs(control ? "      <failure message=\"not detected\">" :
				"      <failure message=\"violation\">", f);
		conform_xml_text(f, control ? row->what : d);
		fputs("</failure>\n", f);
	} else {
		fputs("      <skipped message=\"", f);
		conform_xml_text(f, d);
		fputs("\"/>\n", f);
	}
	fputs("    </testcase>\n", f);
}

int vm_write_junit(const struct vm_run *run, const char *path)
{
	FILE *f = cli_report_open(path); /* "-" is stdout */
	if (!f)
		return -errno;
	unsigned tests = 0, failures = 0, skipped = 0;
	for (size_t i = 0; i < run->n; i++)
		for (int r = 0; r < VR_N; r++) {
			const struct vm_row *row = &run->rows[i];
			if (row->expect >= 0 && r != row->expect)
				continue; /* a control is judged on its one rule */
			tests += row->cell[r] != CONFORM_NA || row->expect == r;
			failures += row->expect == r ? !vm_row_detected(row)
						     : row->cell[r] == CONFORM_FAIL;
			skipped += row->expect != r && row->cell[r] == CONFORM_SKIP;
		}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n"
		   "  <testsuite name=\"snapfork vmcheck\" tests=\"%u\" failures=\"%u\" "
		   "skipped=\"%u\" time=\"%.3f\">\n    <properties>\n",
		tests, failures, skipped, run->wall_ms / 1000);
	const char *props[][2] = { { "fork", run->fork_desc },
				   { "qemu", run->qemu_version },
				   { "kernel", run->kernel },
				   { "guest", run->kernel_desc },
				   { "accel", run->accel ? run->accel : "tcg" },
				   { "accel_reason", run->accel_why } };
	for (size_t i = 0; i < sizeof props / sizeof props[0]; i++)
		conform_junit_property(f, props[i][0], props[i][1]);
	fputs("    </properties>\n", f);
	for (size_t i = 0; i < run->n; i++)
		for (int r = 0; r < VR_N; r++) {
			const struct vm_row *row = &run->rows[i];
			if (row->expect >= 0 ? r == row->expect : row->cell[r] != CONFORM_NA)
				testcase(f, row, r);
		}
	fputs("  </testsuite>\n</testsuites>\n", f);
	return cli_fclose(f);
}

static json_t *ms_array(const double *v, unsigned n)
{
	json_t *a = json_array();
	for (unsigned i = 0; i < n; i++)
		json_array_append_new(a, json_real(v[i]));
	return a;
}

static json_t *row_json(const struct vm_row *row)
{
	static const char *const names[] = { "n/a", "pass", "fail", "skip" };
	json_t *o = json_object(), *rules = json_object();
	cli_json_set(o, "name", cli_json_str(row->name));
	cli_json_set(o, "what", cli_json_str(row->what));
	cli_json_set(o, "note", cli_json_str(row->note));
	if (row->expect >= 0) {
		cli_json_set(o, "control_fails", cli_json_str(vm_rule_name(row->expect)));
		cli_json_set(o, "detected", json_boolean(vm_row_detected(row)));
	}
	for (int r = 0; r < VR_N; r++) {
		if (row->cell[r] == CONFORM_NA)
			continue;
		json_t *x = json_object();
		cli_json_set(x, "result", cli_json_str(names[row->cell[r]]));
		cli_json_set(x, "detail", cli_json_str(row->detail[r]));
		cli_json_set(rules, vm_rule_name(r), x);
	}
	cli_json_set(o, "rules", rules);
	cli_json_set(o, "fork_ms", ms_array(row->fork_ms, row->forks));
	cli_json_set(o, "restore_ms", ms_array(row->restore_ms, row->forks));
	cli_json_set(o, "resume_ms", ms_array(row->resume_ms, row->forks));
	return o;
}

int vm_write_json(const struct vm_run *run, const char *path)
{
	json_t *o = json_object(), *rows = json_array();
	int ok = !run->setup_error[0];
	cli_json_set(o, "fork", cli_json_str(run->fork_desc));
	cli_json_set(o, "qemu", cli_json_str(run->qemu_version));
	cli_json_set(o, "kernel", cli_json_str(run->kernel));
	cli_json_set(o, "guest", cli_json_str(run->kernel_desc));
	cli_json_set(o, "accel", cli_json_str(run->accel ? run->accel : "tcg"));
	cli_json_set(o, "accel_reason", cli_json_str(run->accel_why));
	cli_json_set(o, "boot_ms", json_real(run->t[0].boot_ms));
	cli_json_set(o, "save_ms", json_real(run->t[0].save_ms));
	cli_json_set(o, "wall_ms", json_real(run->wall_ms));
	if (run->setup_error[0])
		cli_json_set(o, "error", cli_json_str(run->setup_error));
	for (size_t i = 0; i < run->n; i++) {
		const struct vm_row *row = &run->rows[i];
		ok &= row->expect >= 0 ? vm_row_detected(row) : !vm_row_failed(row);
		json_array_append_new(rows, row_json(row));
	}
	cli_json_set(o, "rows", rows);
	cli_json_set(o, "ok", json_boolean(ok));
	return cli_json_write_file(path, o);
}
