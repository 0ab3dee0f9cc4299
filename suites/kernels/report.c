/* report.c - `snapfork kernels`' table (kernel x leg rows, rule columns),
 * where the kernels differ (first), JSON, and JUnit: each kernel's check
 * and matrix suites with the kernel in their properties, and an ERROR
 * kernel as a suite with an <error>. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "conform.h"
#include "json.h"
#include "kernels.h"

static const char *const cell_text[] = { "-", "pass", "FAIL", "warn", "skip" };
static const char *const cell_json[] = { "n/a", "pass", "fail", "warn", "skip" };

static const struct kern_leg *find_leg(const struct kern_result *r, const char *name)
{
	for (size_t i = 0; i < r->nlegs; i++)
		if (!strcmp(r->legs[i].name, name))
			return &r->legs[i];
	return NULL;
}

static const char *label(const struct kern_result *r)
{
	return r->uname[0] ? r->uname : r->label;
}

/* A leg x rule whose cell is not the same on every kernel that ran it. */
static void differences(const struct kern_result *r, size_t n)
{
	unsigned found = 0;
	for (size_t l = 0; n > 1 && l < r[0].nlegs; l++) {
		const char *leg = r[0].legs[l].name;
		for (int k = 1; k < KERN_RULES; k++) {
			int differs = 0;
			const struct kern_leg *first = NULL;
			for (size_t i = 0; i < n; i++) {
				const struct kern_leg *x = find_leg(&r[i], leg);
				if (!x || r[i].error[0])
					continue;
				if (!first)
					first = x;
				else if (x->cell[k] != first->cell[k] || !!x->error[0] != !!first->error[0])
					differs = 1;
			}
			if (!differs)
				continue;
			if (!found++)
				printf("where the kernels differ:\n");
			char id[8];
			kern_rule_name(k, id, sizeof id);
			printf("  %-20s %-3s", leg, id);
			for (size_t i = 0; i < n; i++) {
				const struct kern_leg *x = find_leg(&r[i], leg);
				if (x && !r[i].error[0])
					printf("  %s on %s", x->error[0] ? "ERROR" : cell_text[x->cell[k]],
					       label(&r[i]));
			}
			putchar('\n');
		}
	}
	if (n > 1)
		printf(found ? "\n" : "where the kernels differ: nowhere (every leg x rule alike)\n\n");
}

void kern_print_table(const struct kern_result *r, size_t n)
{
	differences(r, n);
	printf("%-28s %-20s", "kernel", "leg");
	for (int k = 1; k < KERN_RULES; k++) {
		char id[8];
		kern_rule_name(k, id, sizeof id);
		printf(" %-5s", id);
	}
	printf(" time\n");
	for (size_t i = 0; i < n; i++) {
		if (r[i].error[0]) {
			printf("%-28s %-20s ERROR: %s\n", label(&r[i]), "-", r[i].error);
			continue;
		}
		if (r[i].nlegs == 0)
			printf("%-28s %-20s job exited %d\n", label(&r[i]), "(--job)", r[i].job_rc);
		for (size_t l = 0; l < r[i].nlegs; l++) {
			const struct kern_leg *x = &r[i].legs[l];
			printf("%-28s %-20s", l == 0 ? label(&r[i]) : "", x->name);
			if (x->error[0]) {
				printf(" ERROR: %s\n", x->error);
				continue;
			}
			for (int k = 1; k < KERN_RULES; k++)
				printf(" %-5s", cell_text[x->cell[k]]);
			if (x->seconds >= 0)
				printf(" %d s", x->seconds);
			putchar('\n');
		}
	}
	printf("\n");
	for (size_t i = 0; i < n; i++)
		printf("%-28s %s, %.0f s%s%s\n", label(&r[i]), r[i].label, r[i].seconds,
		       r[i].accel ? ", " : "", r[i].accel ? r[i].accel : "");
}

int kern_write_json(const char *path, const struct kern_result *r, size_t n)
{
	json_t *o = json_object(), *ks = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *k = json_object(), *legs = json_array();
		cli_json_set(k, "kernel", cli_json_str(r[i].label));
		cli_json_set(k, "uname", cli_json_str(r[i].uname[0] ? r[i].uname : NULL));
		cli_json_set(k, "error", cli_json_str(r[i].error[0] ? r[i].error : NULL));
		cli_json_set(k, "seconds", json_real(r[i].seconds));
		cli_json_set(k, "accel", cli_json_str(r[i].accel)); /* null: the host */
		cli_json_set(k, "results", cli_json_str(r[i].dir));
		for (size_t l = 0; l < r[i].nlegs; l++) {
			json_t *x = json_object(), *rules = json_object();
			cli_json_set(x, "leg", cli_json_str(r[i].legs[l].name));
			if (r[i].legs[l].seconds >= 0)
				cli_json_set(x, "seconds", json_integer(r[i].legs[l].seconds));
			cli_json_set(x, "error",
				     cli_json_str(r[i].legs[l].error[0] ? r[i].legs[l].error : NULL));
			for (int c = 1; c < KERN_RULES; c++) {
				char id[8];
				kern_rule_name(c, id, sizeof id);
				cli_json_set(rules, id, cli_json_str(cell_json[r[i].legs[l].cell[c]]));
			}
			cli_json_set(x, "rules", rules);
			json_array_append_new(legs, x);
		}
		cli_json_set(k, "legs", legs);
		json_array_append_new(ks, k);
	}
	cli_json_set(o, "kernels", ks);
	cli_json_set(o, "ok", json_boolean(!kern_failed(r, n)));
	return cli_json_write_file(path, o);
}

/* One suite of one testcase: a kernel's job, or a leg that left no
 * report (an <error> then, never a missing suite that reads as a pass). */
static void one_case(FILE *f, const struct kern_result *r, const char *what, const char *error)
{
	fputs("  <testsuite name=\"snapfork kernels: ", f);
	conform_xml_text(f, r->label);
	fprintf(f, "%s%s\" tests=\"1\" errors=\"%d\">\n    <properties>\n", error ? ": " : "",
		error ? what : "", error != NULL);
	const char *props[][2] = { { "kernel_release", r->uname },
				   { "kernel_source", r->label },
				   { "accel", r->accel ? r->accel : "none (the host)" } };
	for (int i = 0; i < 3; i++)
		conform_junit_property(f, props[i][0], props[i][1]);
	fputs("    </properties>\n    <testcase classname=\"job\" name=\"", f);
	conform_xml_text(f, what);
	if (!error) {
		fputs("\"/>\n  </testsuite>\n", f);
		return;
	}
	fputs("\">\n      <error message=\"", f);
	conform_xml_text(f, error);
	fputs("\"/>\n    </testcase>\n  </testsuite>\n", f);
}

int kern_write_junit(const char *path, const struct kern_result *r, size_t n)
{
	FILE *f = cli_report_open(path); /* "-" is stdout, as for --json */
	if (!f)
		return -errno;
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n", f);
	for (size_t i = 0; i < n; i++) {
		if (r[i].error[0] || r[i].nlegs == 0) {
			one_case(f, &r[i], "boot and run the job", r[i].error[0] ? r[i].error : NULL);
			continue;
		}
		const char *props[] = { "kernel_release", r[i].uname, "kernel_source", r[i].label,
					"accel", r[i].accel ? r[i].accel : "none (the host)", NULL };
		for (size_t l = 0; l < r[i].nlegs; l++) {
			const struct kern_leg *leg = &r[i].legs[l];
			char p[4300], why[700];
			snprintf(p, sizeof p, "%s/%s.xml", r[i].dir, leg->name);
			int c = leg->error[0] ? -1 : kern_junit_copy(f, p, props);
			snprintf(why, sizeof why, "%s", leg->error[0] ? leg->error : "");
			if (c < 0 && !leg->error[0])
				snprintf(why, sizeof why, "%s.xml: no JUnit suite in it (%s)",
					 leg->name, strerror(-c));
			if (c < 0)
				one_case(f, &r[i], leg->name, why);
		}
	}
	fputs("</testsuites>\n", f);
	return cli_fclose(f);
}
