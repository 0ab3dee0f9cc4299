/* row.c - vmcheck's rules and rows (vmcheck.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmcheck.h"

static const struct {
	const char *name, *title;
} rules[VR_N] = {
	[VR_FORK] = { "fork", "the fork implementation succeeds" },
	[VR_MEMFILE] = { "mem-file",
			 "the snapshot's inode where the link applies, else the same bytes" },
	[VR_RESUME] = { "resume", "QEMU restores the fork and its guest resumes (template's "
				  "last counter + 1, no reboot)" },
	[VR_OWN_TAG] = { "own-tag", "each guest sees its own tag, never another's" },
	[VR_ADVANCE] = { "advances", "each guest's counter keeps rising by one" },
	[VR_INTACT] = { "intact", "the snapshot (bytes, inode, size, mode, mtime) unchanged while "
				  "guests write and after they quit" },
	[VR_DELETE] = { "delete", "deleting the snapshot keeps every guest running" },
	[VR_DEBRIS] = { "debris", "nothing left beside the forks, no *.tmp inside" },
};

const char *vm_rule_name(int rule)
{
	return rule >= 0 && rule < VR_N ? rules[rule].name : "?";
}

const char *vm_rule_title(int rule)
{
	return rule >= 0 && rule < VR_N ? rules[rule].title : "?";
}

void vm_cell(struct vm_row *row, int rule, enum conform_cell cell, const char *fmt, ...)
{
	char line[2000];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (cell == CONFORM_FAIL || row->cell[rule] != CONFORM_FAIL)
		row->cell[rule] = cell;
	char *old = row->detail[rule];
	size_t n = (old ? strlen(old) + 1 : 0) + strlen(line) + 1;
	char *d = malloc(n);
	if (!d)
		return;
	snprintf(d, n, "%s%s%s", old ? old : "", old ? "\n" : "", line);
	free(old);
	row->detail[rule] = d;
}

void vm_pass(struct vm_row *row, int rule)
{
	if (row->cell[rule] == CONFORM_NA)
		row->cell[rule] = CONFORM_PASS;
}

void vm_row_free(struct vm_row *row)
{
	for (int i = 0; i < VR_N; i++)
		free(row->detail[i]);
	memset(row, 0, sizeof *row);
}

int vm_row_failed(const struct vm_row *row)
{
	for (int i = 0; i < VR_N; i++)
		if (row->cell[i] == CONFORM_FAIL)
			return 1;
	return 0;
}

int vm_row_detected(const struct vm_row *row)
{
	return row->expect >= 0 && row->cell[row->expect] == CONFORM_FAIL;
}
