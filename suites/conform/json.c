/* json.c - the conformance check as JSON. */
#include <stdio.h>

#include "cli.h"
#include "conform.h"
#include "json.h"

static json_t *row_json(const struct conform_row *row)
{
	static const char *const names[] = { "n/a", "pass", "fail", "skip" };
	json_t *o = json_object(), *rules = json_object();
	cli_json_set(o, "fixture", cli_json_str(row->name));
	cli_json_set(o, "fork_us", json_integer((json_int_t)(row->fork_ms * 1000)));
	cli_json_set(o, "row_us", json_integer((json_int_t)(row->row_ms * 1000)));
	cli_json_set(o, "kept", cli_json_str(row->kept));
	cli_json_set(o, "fork_said", cli_json_str(row->note)); /* e.g. its fallback */
	for (int rule = 1; rule <= JUDGE_RULES; rule++) {
		if (row->cell[rule] == CONFORM_NA)
			continue;
		char id[8];
		snprintf(id, sizeof id, "F%d", rule);
		json_t *r = json_object();
		/* The table's words: a SHOULD rule not met is "warn", not "fail". */
		int warn = row->cell[rule] == CONFORM_FAIL && judge_rule_is_should(rule);
		cli_json_set(r, "result", cli_json_str(warn ? "warn" : names[row->cell[rule]]));
		cli_json_set(r, "level", cli_json_str(judge_rule_is_should(rule) ? "SHOULD" : "MUST"));
		cli_json_set(r, "detail", cli_json_str(row->detail[rule]));
		cli_json_set(rules, id, r);
	}
	cli_json_set(o, "rules", rules);
	return o;
}

json_t *conform_run_json(const struct conform_run *run)
{
	json_t *o = json_object(), *rows = json_array();
	cli_json_set(o, "kernel", cli_json_str(run->kernel));
	cli_json_set(o, "filesystem", cli_json_str(run->fstype));
	cli_json_set(o, "mount_options", cli_json_str(run->mount_options));
	cli_json_set(o, "scratch", cli_json_str(run->scratch));
	cli_json_set(o, "fork", cli_json_str(run->fork_desc));
	for (const char *const *p = run->props; p && p[0] && p[1]; p += 2)
		cli_json_set(o, p[0], cli_json_str(p[1]));
	for (size_t i = 0; i < run->n; i++)
		json_array_append_new(rows, row_json(&run->rows[i]));
	cli_json_set(o, "rows", rows);
	cli_json_set(o, "ok", json_boolean(!conform_run_failed(run)));
	return o;
}

int conform_write_json(const struct conform_run *run, const char *path)
{
	return cli_json_write_file(path, conform_run_json(run));
}
