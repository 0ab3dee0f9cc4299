/* table.c - the conformance check as a table of rows x rules, then every
 * failure, warning and skip with what differed or why. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "child.h"
#include "conform.h"

static const char *cell_text(const struct conform_row *row, int rule)
{
	switch (row->cell[rule]) {
	case CONFORM_PASS:
		return "pass";
	case CONFORM_FAIL:
		return judge_rule_is_should(rule) ? "warn" : "FAIL";
	case CONFORM_SKIP:
		return "skip";
	default:
		return "-";
	}
}

void conform_print_detail(FILE *out, const char *detail, int max_lines)
{
	const char *d = detail ? detail : "";
	int lines = 0;
	for (; *d && lines < max_lines; lines++) {
		int n = (int)strcspn(d, "\n");
		fprintf(out, "  %.*s\n", n, d);
		d += n + (d[n] == '\n');
	}
	if (*d) { /* say what is cut, and where it all is */
		int more = 1;
		for (const char *p = d; (p = strchr(p, '\n')) && p[1]; p++)
			more++;
		fprintf(out, "  (%d more line%s: every one is in --json and --junit)\n", more,
			more == 1 ? "" : "s");
	}
}

/* The command that reruns the row: run->repro, and for check the
 * fixture (its name, or the tar's absolute path, shell-quoted). */
static void print_rerun(FILE *out, const struct conform_run *run, const struct conform_row *row)
{
	const char *base = run->repro[0] ? run->repro : "snapfork check";
	char *arg = run->repro_fixture && row->rerun ? child_sh_word(row->rerun) : NULL;
	if (arg)
		fprintf(out, "%s: reproduce with: %s --fixture %s --keep\n", row->name, base, arg);
	else
		fprintf(out, "%s: reproduce with: %s\n", row->name, base);
	free(arg);
}

void conform_print_table(FILE *out, const struct conform_run *run)
{
	int w = 24; /* the name column: as wide as the longest name */
	for (size_t i = 0; i < run->n; i++)
		if ((int)strlen(run->rows[i].name) > w)
			w = (int)strlen(run->rows[i].name);
	fprintf(out, "%-*s", w, "fixture");
	for (int rule = 1; rule <= JUDGE_RULES; rule++)
		fprintf(out, " F%-4d", rule);
	fprintf(out, " fork\n");
	unsigned pass = 0, fail = 0, skip = 0, warn = 0;
	for (size_t i = 0; i < run->n; i++) {
		const struct conform_row *row = &run->rows[i];
		fprintf(out, "%-*s", w, row->name);
		for (int rule = 1; rule <= JUDGE_RULES; rule++) {
			const char *t = cell_text(row, rule);
			fprintf(out, " %-5s", t);
			pass += row->cell[rule] == CONFORM_PASS;
			skip += row->cell[rule] == CONFORM_SKIP;
			if (row->cell[rule] == CONFORM_FAIL)
				judge_rule_is_should(rule) ? warn++ : fail++;
		}
		fprintf(out, " %.1f ms\n", row->fork_ms);
	}
	/* Then every FAIL, warning and skip with what differed or why. */
	for (size_t i = 0; i < run->n; i++) {
		const struct conform_row *row = &run->rows[i];
		char unjudged[64] = "";
		for (int rule = 1; rule <= JUDGE_RULES; rule++) {
			if (row->cell[rule] != CONFORM_FAIL && row->cell[rule] != CONFORM_SKIP)
				continue;
			if (row->fork_failed && row->cell[rule] == CONFORM_SKIP) {
				size_t k = strlen(unjudged); /* one line for them all, below */
				snprintf(unjudged + k, sizeof unjudged - k, " F%d", rule);
				continue;
			}
			fprintf(out, "\n%s F%d %s (%s %s):\n", row->name, rule, cell_text(row, rule),
			       judge_rule_is_should(rule) ? "SHOULD" : "MUST", judge_rule_title(rule));
			conform_print_detail(out, row->detail[rule], 8);
		}
		if (unjudged[0])
			fprintf(out, "\n%s: not judged, as the fork failed:%s\n", row->name, unjudged);
		if (row->kept)
			fprintf(out, "\n%s: its trees kept in %s%s%s\n", row->name, row->kept,
				row->kept_forks ? ", its forks in " : "",
				row->kept_forks ? row->kept_forks : "");
		if (conform_row_failed(row))
			print_rerun(out, run, row);
	}
	fprintf(out, "\ncheck: %zu rows, %u pass, %u FAIL, %u skip, %u warning%s (SHOULD) -- %s\n",
	       run->n, pass, fail, skip, warn, warn == 1 ? "" : "s",
	       fail ? "the fork implementation violates the contract" : "every MUST rule holds");
}

