/* check_report.c - the conformance table, JUnit XML and JSON. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "check_run.h"
#include "cli.h"
#include "json.h"

static const char *cell_text(const struct sfc_row *row, int rule)
{
	switch (row->cell[rule]) {
	case SFC_PASS:
		return "pass";
	case SFC_FAIL:
		return sfc_rule_is_should(rule) ? "warn" : "FAIL";
	case SFC_SKIP:
		return "skip";
	default:
		return "-";
	}
}

void check_print_table(const struct check_run *run)
{
	printf("%-24s", "fixture");
	for (int rule = 1; rule <= 13; rule++)
		printf(" F%-4d", rule);
	printf(" fork\n");
	unsigned pass = 0, fail = 0, skip = 0, warn = 0;
	for (size_t i = 0; i < run->n; i++) {
		const struct sfc_row *row = &run->rows[i];
		printf("%-24s", row->name);
		for (int rule = 1; rule <= 13; rule++) {
			const char *t = cell_text(row, rule);
			printf(" %-5s", t);
			pass += row->cell[rule] == SFC_PASS;
			skip += row->cell[rule] == SFC_SKIP;
			if (row->cell[rule] == SFC_FAIL)
				sfc_rule_is_should(rule) ? warn++ : fail++;
		}
		printf(" %.1f ms\n", row->fork_ms);
	}
	/* Then every FAIL, warning and skip with what differed or why. */
	for (size_t i = 0; i < run->n; i++) {
		const struct sfc_row *row = &run->rows[i];
		for (int rule = 1; rule <= 13; rule++) {
			if (row->cell[rule] != SFC_FAIL && row->cell[rule] != SFC_SKIP)
				continue;
			const char *d = row->detail[rule] ? row->detail[rule] : "";
			printf("\n%s F%d %s (%s %s):\n", row->name, rule, cell_text(row, rule),
			       sfc_rule_is_should(rule) ? "SHOULD" : "MUST", sfc_rule_title(rule));
			int lines = 0;
			for (const char *p = d; *p && lines < 8; lines++) {
				const char *nl = strchr(p, '\n');
				int n = nl ? (int)(nl - p) : (int)strlen(p);
				printf("  %.*s\n", n, p);
				p += n + (nl ? 1 : 0);
			}
		}
		if (sfc_row_failed(row) || row->kept) {
			const char *fx =
				strncmp(row->name, "refusal:", 8) == 0 ? row->name + 8 : row->name;
			if (row->kept)
				printf("\n%s: snapshot and fork kept in %s\n", row->name,
				       row->kept);
			if (sfc_row_failed(row))
				printf("%s: reproduce with: %s --fixture %s --keep\n", row->name,
				       run->repro_base, fx);
		}
	}
	printf("\ncheck: %zu rows, %u pass, %u FAIL, %u skip, %u warning%s (SHOULD) -- %s\n",
	       run->n, pass, fail, skip, warn, warn == 1 ? "" : "s",
	       fail ? "the fork implementation violates the contract" : "every MUST rule holds");
}

static void xml_text(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			/* XML 1.0 allows no control characters but tab and newlines. */
			if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
				fputc('?', f);
			else
				fputc(*s, f);
		}
	}
}

static void property(FILE *f, const char *name, const char *value)
{
	fprintf(f, "      <property name=\"%s\" value=\"", name);
	xml_text(f, value);
	fputs("\"/>\n", f);
}

void check_junit_suite(FILE *f, const struct check_run *run, const char *suite,
		       const char *const *props)
{
	unsigned tests = 0, failures = 0, skipped = 0;
	for (size_t i = 0; i < run->n; i++)
		for (int rule = 1; rule <= 13; rule++) {
			enum sfc_cell c = run->rows[i].cell[rule];
			tests += c != SFC_NA;
			failures += c == SFC_FAIL && !sfc_rule_is_should(rule);
			skipped += c == SFC_SKIP;
		}
	fputs("  <testsuite name=\"", f);
	xml_text(f, suite);
	fprintf(f, "\" tests=\"%u\" failures=\"%u\" skipped=\"%u\">\n", tests, failures, skipped);
	fputs("    <properties>\n", f);
	property(f, "kernel", run->kernel);
	property(f, "filesystem", run->fstype);
	property(f, "mount_options", run->mount_options);
	property(f, "scratch", run->scratch);
	property(f, "capabilities", run->capabilities);
	property(f, "fork", run->fork_desc);
	for (const char *const *p = props; p && p[0] && p[1]; p += 2)
		property(f, p[0], p[1]);
	fputs("    </properties>\n", f);
	for (size_t i = 0; i < run->n; i++) {
		const struct sfc_row *row = &run->rows[i];
		for (int rule = 1; rule <= 13; rule++) {
			if (row->cell[rule] == SFC_NA)
				continue;
			fputs("    <testcase classname=\"", f);
			xml_text(f, row->name);
			fprintf(f, "\" name=\"F%d %s %s\" time=\"%.3f\"", rule,
				sfc_rule_is_should(rule) ? "SHOULD" : "MUST", sfc_rule_title(rule),
				rule == 1 ? row->fork_ms / 1000 : 0.0);
			const char *d = row->detail[rule] ? row->detail[rule] : "";
			if (row->cell[rule] == SFC_PASS) {
				fputs("/>\n", f);
				continue;
			}
			fputs(">\n", f);
			if (row->cell[rule] == SFC_SKIP) {
				fputs("      <skipped message=\"", f);
				xml_text(f, d);
				fputs("\"/>\n", f);
			} else {
				/* A SHOULD failure is a warning: reported, not failed. */
				fputs(sfc_rule_is_should(rule)
					      ? "      <system-out>warning: "
					      : "      <failure message=\"violation\">",
				      f);
				xml_text(f, d);
				fputs(sfc_rule_is_should(rule) ? "</system-out>\n" : "</failure>\n",
				      f);
			}
			fputs("    </testcase>\n", f);
		}
	}
	fputs("  </testsuite>\n", f);
}

int check_write_junit(const struct check_run *run, const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -errno;
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n", f);
	check_junit_suite(f, run, "snapfork check", NULL);
	fputs("</testsuites>\n", f);
	return cli_fclose(f);
}

int check_write_json(const struct check_run *run, const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -errno;
	struct jw j;
	jw_init(&j, f);
	jw_object_begin(&j, NULL);
	jw_string(&j, "kernel", run->kernel);
	jw_string(&j, "filesystem", run->fstype);
	jw_string(&j, "mount_options", run->mount_options);
	jw_string(&j, "scratch", run->scratch);
	jw_string(&j, "fork", run->fork_desc);
	int ok = 1;
	jw_array_begin(&j, "rows");
	for (size_t i = 0; i < run->n; i++) {
		const struct sfc_row *row = &run->rows[i];
		ok &= !sfc_row_failed(row);
		jw_object_begin(&j, NULL);
		jw_string(&j, "fixture", row->name);
		jw_int(&j, "fork_us", (int64_t)(row->fork_ms * 1000));
		jw_string(&j, "kept", row->kept);
		jw_object_begin(&j, "rules");
		for (int rule = 1; rule <= 13; rule++) {
			if (row->cell[rule] == SFC_NA)
				continue;
			char id[8];
			snprintf(id, sizeof id, "F%d", rule);
			jw_object_begin(&j, id);
			static const char *const names[] = { "n/a", "pass", "fail", "skip" };
			jw_string(&j, "result", names[row->cell[rule]]);
			jw_string(&j, "level", sfc_rule_is_should(rule) ? "SHOULD" : "MUST");
			jw_string(&j, "detail", row->detail[rule]);
			jw_object_end(&j);
		}
		jw_object_end(&j);
		jw_object_end(&j);
	}
	jw_array_end(&j);
	jw_bool(&j, "ok", ok);
	jw_object_end(&j);
	jw_finish(&j);
	return cli_fclose(f);
}
