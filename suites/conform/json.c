/* json.c - the conformance check as JSON. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>

#include "cli.h"
#include "conform.h"
#include "json.h"

int conform_write_json(const struct conform_run *run, const char *path)
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
		const struct conform_row *row = &run->rows[i];
		ok &= !conform_row_failed(row);
		jw_object_begin(&j, NULL);
		jw_string(&j, "fixture", row->name);
		jw_int(&j, "fork_us", (int64_t)(row->fork_ms * 1000));
		jw_string(&j, "kept", row->kept);
		jw_object_begin(&j, "rules");
		for (int rule = 1; rule <= 13; rule++) {
			if (row->cell[rule] == CONFORM_NA)
				continue;
			char id[8];
			snprintf(id, sizeof id, "F%d", rule);
			jw_object_begin(&j, id);
			static const char *const names[] = { "n/a", "pass", "fail", "skip" };
			jw_string(&j, "result", names[row->cell[rule]]);
			jw_string(&j, "level", judge_rule_is_should(rule) ? "SHOULD" : "MUST");
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
