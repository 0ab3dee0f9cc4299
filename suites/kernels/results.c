/* results.c - a kernel's results read back (check.json, matrix.json) and
 * folded into one cell per leg and rule: FAIL when a fixture row failed
 * the MUST rule, warn for a SHOULD rule, pass when one passed, skip when
 * it applied but could not be observed anywhere. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "matrix.h"

size_t kern_jobs(const struct kern_opts *o, const char *kernel, const char **legs, size_t max)
{
	size_t n = 0;
	const char *only = o->only ? o->only_leg : NULL;
	if (o->only && strcmp(kernel, o->only_kernel) != 0)
		return 0;
	if (!only || strcmp(only, "check") == 0) {
		if (legs && n < max)
			legs[n] = "check";
		n++;
	}
	for (size_t i = 0; i < matrix_nlegs; i++) {
		const char *name = matrix_legs[i].name;
		char key[64], list[1024];
		snprintf(key, sizeof key, ",%s,", name);
		snprintf(list, sizeof list, ",%s,", o->legs ? o->legs : "");
		if (only ? strcmp(only, name) != 0 : (o->legs && !strstr(list, key)))
			continue;
		if (legs && n < max)
			legs[n] = name;
		n++;
	}
	return n;
}

/* Fold a conformance run's rows into leg->cell. */
static void fold(const json_t *run, struct kern_leg *leg)
{
	size_t i;
	const json_t *row;
	json_array_foreach(json_object_get(run, "rows"), i, row) {
		const char *rule;
		const json_t *v;
		json_object_foreach((json_t *)json_object_get(row, "rules"), rule, v) {
			int k = atoi(rule + 1);
			if (k < 1 || k >= KERN_RULES)
				continue;
			const char *res = json_string_value(json_object_get(v, "result"));
			const char *lvl = json_string_value(json_object_get(v, "level"));
			enum kern_cell c = !res ? KC_NA
					   : !strcmp(res, "fail") ? (lvl && !strcmp(lvl, "SHOULD") ? KC_WARN : KC_FAIL)
					   : !strcmp(res, "pass") ? KC_PASS
					   : !strcmp(res, "skip") ? KC_SKIP
								  : KC_NA;
			/* Order of strength: FAIL > warn > pass > skip > n/a. */
			static const int rank[] = { 0, 2, 4, 3, 1 };
			if (rank[c] > rank[leg->cell[k]])
				leg->cell[k] = c;
		}
	}
}

static json_t *load(const char *dir, const char *name)
{
	char p[4300];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	return json_load_file(p, 0, NULL);
}

void kern_read_results(struct kern_result *r, const char *const *legs, size_t nlegs)
{
	json_t *check = load(r->dir, "check.json"), *matrix = load(r->dir, "matrix.json");
	for (size_t i = 0; i < nlegs && r->nlegs < KERN_MAX_LEGS; i++) {
		struct kern_leg *leg = &r->legs[r->nlegs++];
		memset(leg, 0, sizeof *leg);
		snprintf(leg->name, sizeof leg->name, "%s", legs[i]);
		if (strcmp(legs[i], "check") == 0) {
			if (check)
				fold(check, leg);
			else
				snprintf(leg->error, sizeof leg->error,
					 "no check.json: the check did not finish (see check.txt)");
			continue;
		}
		size_t k;
		const json_t *l, *found = NULL;
		json_array_foreach(json_object_get(matrix, "legs"), k, l) {
			const char *name = json_string_value(json_object_get(l, "leg"));
			if (name && !strcmp(name, legs[i]))
				found = l;
		}
		const char *e = json_string_value(json_object_get(found, "setup_error"));
		if (!found)
			snprintf(leg->error, sizeof leg->error,
				 "no result: the matrix did not finish (see matrix.txt)");
		else if (e)
			snprintf(leg->error, sizeof leg->error, "%s", e);
		else
			fold(json_object_get(found, "run"), leg);
	}
	json_decref(check);
	json_decref(matrix);
}

int kern_failed(const struct kern_result *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (r[i].error[0])
			return 1;
		for (size_t l = 0; l < r[i].nlegs; l++) {
			if (r[i].legs[l].error[0])
				return 1;
			for (int k = 1; k < KERN_RULES; k++)
				if (r[i].legs[l].cell[k] == KC_FAIL)
					return 1;
		}
	}
	return 0;
}
