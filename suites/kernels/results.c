/* results.c - a kernel's results read back (each leg's LEG.json) and
 * folded into one cell per leg and rule: FAIL when a fixture row failed
 * the MUST rule, warn for a SHOULD rule, pass when one passed, skip when
 * it applied but could not be observed anywhere. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	for (size_t i = 0; i < matrix_nlegs + KERN_POWER_LEGS; i++) {
		int power = i >= matrix_nlegs;
		const char *name = power ? kern_power_legs[i - matrix_nlegs] : matrix_legs[i].name;
		char key[64], list[1024];
		snprintf(key, sizeof key, ",%s,", name);
		snprintf(list, sizeof list, ",%s,", o->legs ? o->legs : "");
		/* Power cuts need device-mapper, which a guest's initramfs
		 * has and a host may not: on the host only when named and it
		 * has device-mapper's control node.  "powercut" names all three. */
		int named = strstr(list, key) || (power && strstr(list, ",powercut,"));
		int host = strcmp(kernel, "host") == 0;
		int wanted = o->legs ? named && (!power || !host || access("/dev/mapper/control", F_OK) == 0)
				     : !power || !host;
		if (only ? strcmp(only, name) != 0 : !wanted)
			continue;
		if (legs && n < max)
			legs[n] = name;
		n++;
	}
	return legs && n > max ? max : n; /* never more than legs[] holds */
}

const char *const kern_power_legs[KERN_POWER_LEGS] = { "powercut-ext4", "powercut-xfs",
						       "powercut-btrfs" };

int kern_leg_known(const char *name, size_t len)
{
	if ((len == 5 && strncmp(name, "check", 5) == 0) ||
	    (len == 8 && strncmp(name, "powercut", 8) == 0))
		return 1;
	for (size_t i = 0; i < matrix_nlegs + KERN_POWER_LEGS; i++) {
		const char *n = i < matrix_nlegs ? matrix_legs[i].name
						 : kern_power_legs[i - matrix_nlegs];
		if (strlen(n) == len && strncmp(name, n, len) == 0)
			return 1;
	}
	return 0;
}

int kern_rule_column(const char *id)
{
	int k = atoi(id + 1);
	if (id[0] == 'F' && k >= 1 && k <= JUDGE_RULES)
		return k;
	if (id[0] == 'C' && k >= 3 && k <= 4)
		return JUDGE_RULES + k - 2;
	return -1;
}

void kern_rule_name(int column, char *out, size_t len)
{
	if (column <= JUDGE_RULES)
		snprintf(out, len, "F%d", column);
	else
		snprintf(out, len, "C%d", column - JUDGE_RULES + 2);
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
			int k = kern_rule_column(rule);
			if (k < 1 || k >= KERN_RULES)
				continue;
			const char *res = json_string_value(json_object_get(v, "result"));
			const char *lvl = json_string_value(json_object_get(v, "level"));
			enum kern_cell c = !res ? KC_NA
					   : !strcmp(res, "warn") ? KC_WARN
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

/* The number in the leg's LEG.SUFFIX (its exit status, its seconds), or
 * -1 when it has none. */
static int leg_number(const struct kern_result *r, const char *leg, const char *suffix)
{
	char p[4300];
	int rc = -1;
	snprintf(p, sizeof p, "%s/%s.%s", r->dir, leg, suffix);
	FILE *f = fopen(p, "re");
	if (f && fscanf(f, "%d", &rc) != 1)
		rc = -1;
	if (f)
		fclose(f);
	return rc;
}

/* A leg without a whole report: why, from its exit status. */
static void no_report(int rc, const char *leg, unsigned limit, struct kern_leg *out)
{
	if (rc == 124 || rc == 143) /* timeout's status: coreutils, busybox */
		snprintf(out->error, sizeof out->error,
			 "did not finish within %u s (--leg-timeout): stopped (see %s.txt)", limit, leg);
	else if (rc < 0)
		snprintf(out->error, sizeof out->error, "never ran or never ended (no %s.rc)", leg);
	else
		snprintf(out->error, sizeof out->error, "exit %d (see %s.txt)", rc, leg);
}

/* 1 if some rule was judged (pass, FAIL, warn or skip) in the leg. */
static int judged(const struct kern_leg *leg)
{
	for (int k = 1; k < KERN_RULES; k++)
		if (leg->cell[k] != KC_NA)
			return 1;
	return 0;
}

/* A matrix leg's entry in its own report, or NULL. */
static const json_t *matrix_leg(const json_t *report, const char *name)
{
	size_t k;
	const json_t *l;
	json_array_foreach(json_object_get(report, "legs"), k, l) {
		const char *n = json_string_value(json_object_get(l, "leg"));
		if (n && !strcmp(n, name))
			return l;
	}
	return NULL;
}

void kern_read_results(struct kern_result *r, const char *const *legs, size_t nlegs, unsigned limit)
{
	for (size_t i = 0; i < nlegs && r->nlegs < KERN_MAX_LEGS; i++) {
		struct kern_leg *leg = &r->legs[r->nlegs++];
		memset(leg, 0, sizeof *leg);
		snprintf(leg->name, sizeof leg->name, "%s", legs[i]);
		char p[4300];
		snprintf(p, sizeof p, "%s/%s.json", r->dir, legs[i]);
		json_error_t je;
		json_t *report = json_load_file(p, 0, &je);
		/* check and powercut write one run; the matrix a run per leg. */
		const json_t *found = report && strcmp(legs[i], "check") != 0 &&
						      strncmp(legs[i], "powercut-", 9) != 0
					      ? matrix_leg(report, legs[i])
					      : report;
		const char *e = json_string_value(json_object_get(found, "setup_error"));
		int rc = leg_number(r, legs[i], "rc");
		leg->seconds = leg_number(r, legs[i], "secs");
		/* Exit 0 or 1 (a rule failed) with a report that judged
		 * something: anything else is an error, never a pass. */
		if (!report && access(p, F_OK) == 0)
			snprintf(leg->error, sizeof leg->error, "%s.json: unreadable: %s", legs[i],
				 je.text);
		else if (e && *e) /* the leg's own words first: why it could not run */
			snprintf(leg->error, sizeof leg->error, "%s", e);
		else if (!report || (rc != 0 && rc != 1))
			no_report(rc, legs[i], limit, leg);
		else if (!found)
			snprintf(leg->error, sizeof leg->error, "%s.json: no leg %s in it", legs[i],
				 legs[i]);
		else
			fold(found == report ? report : json_object_get(found, "run"), leg);
		if (!leg->error[0] && !judged(leg))
			snprintf(leg->error, sizeof leg->error, "%s.json: no rule was judged", legs[i]);
		json_decref(report);
	}
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
