/* report.h - print a snapfork_report as text or JSON (CLI only). */
#ifndef SNAPFORK_REPORT_H
#define SNAPFORK_REPORT_H

#include <stdio.h>

#include "json.h"
#include "snapfork.h"

void report_text(FILE *f, const char *src, const char *dst, const struct snapfork_report *r);
/* The report as a JSON object (README.md, "The library": stable names). */
json_t *report_json(const char *src, const char *dst, const struct snapfork_report *r);
/* The failing path made whole: SRC/rel, DST/rel or the caller's path. */
void report_error_path(const struct snapfork_report *r, const char *src, const char *dst, char *out,
		       size_t len);

#endif
