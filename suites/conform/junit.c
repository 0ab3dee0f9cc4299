/* junit.c - the conformance check as JUnit XML: one testcase per row x
 * rule, skips with their reason, the machine as properties. */
#include <errno.h>
#include <stdio.h>

#include "cli.h"
#include "conform.h"

void conform_xml_text(FILE *f, const char *s)
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

void conform_junit_property(FILE *f, const char *name, const char *value)
{
	fprintf(f, "      <property name=\"%s\" value=\"", name);
	conform_xml_text(f, value);
	fputs("\"/>\n", f);
}

void conform_junit_suite(FILE *f, const struct conform_run *run, const char *suite,
		       const char *const *props)
{
	unsigned tests = 0, failures = 0, skipped = 0;
	for (size_t i = 0; i < run->n; i++)
		for (int rule = 1; rule <= JUDGE_RULES; rule++) {
			enum conform_cell c = run->rows[i].cell[rule];
			tests += c != CONFORM_NA;
			failures += c == CONFORM_FAIL && !judge_rule_is_should(rule);
			skipped += c == CONFORM_SKIP;
		}
	fputs("  <testsuite name=\"", f);
	conform_xml_text(f, suite);
	fprintf(f, "\" tests=\"%u\" failures=\"%u\" skipped=\"%u\">\n", tests, failures, skipped);
	fputs("    <properties>\n", f);
	conform_junit_property(f, "kernel", run->kernel);
	conform_junit_property(f, "filesystem", run->fstype);
	conform_junit_property(f, "mount_options", run->mount_options);
	conform_junit_property(f, "scratch", run->scratch);
	conform_junit_property(f, "capabilities", run->capabilities);
	conform_junit_property(f, "fork", run->fork_desc);
	for (const char *const *p = props; p && p[0] && p[1]; p += 2)
		conform_junit_property(f, p[0], p[1]);
	for (const char *const *p = run->props; p && p[0] && p[1]; p += 2)
		conform_junit_property(f, p[0], p[1]);
	fputs("    </properties>\n", f);
	for (size_t i = 0; i < run->n; i++) {
		const struct conform_row *row = &run->rows[i];
		for (int rule = 1; rule <= JUDGE_RULES; rule++) {
			if (row->cell[rule] == CONFORM_NA)
				continue;
			fputs("    <testcase classname=\"", f);
			conform_xml_text(f, row->name);
			fprintf(f, "\" name=\"F%d %s %s\" time=\"%.3f\"", rule,
				judge_rule_is_should(rule) ? "SHOULD" : "MUST", judge_rule_title(rule),
				rule == 1 ? row->fork_ms / 1000 : 0.0);
			const char *d = row->detail[rule] ? row->detail[rule] : "";
			if (row->cell[rule] == CONFORM_PASS) {
				fputs("/>\n", f);
				continue;
			}
			fputs(">\n", f);
			if (row->cell[rule] == CONFORM_SKIP) {
				fputs("      <skipped message=\"", f);
				conform_xml_text(f, d);
				fputs("\"/>\n", f);
			} else {
				/* A SHOULD failure is a warning: reported, not failed. */
				fputs(judge_rule_is_should(rule)
					      ? "      <system-out>warning: "
					      : "      <failure message=\"violation\">",
				      f);
				conform_xml_text(f, d);
				fputs(judge_rule_is_should(rule) ? "</system-out>\n" : "</failure>\n",
				      f);
			}
			fputs("    </testcase>\n", f);
		}
	}
	fputs("  </testsuite>\n", f);
}

int conform_write_junit(const struct conform_run *run, const char *path)
{
	FILE *f = cli_report_open(path);
	if (!f)
		return -errno;
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n", f);
	conform_junit_suite(f, run, "snapfork check", NULL);
	fputs("</testsuites>\n", f);
	return cli_fclose(f);
}

