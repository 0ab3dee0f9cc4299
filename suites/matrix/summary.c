/* summary.c - what the matrix prints and saves: progress lines, the
 * legs x rules summary, JUnit XML, and a failed leg's artifacts. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "json.h"
#include "matrix.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void matrix_progress(const char *leg, const char *fmt, ...)
{
	static double t_start;
	if (t_start == 0)
		t_start = now();
	va_list ap;
	fprintf(stderr, "[%6.1fs] %-20s ", now() - t_start, leg);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const char *cell_of(const struct leg_result *lr, int rule, unsigned *counts)
{
	int pass = 0, fail = 0, warn = 0, skip = 0;
	for (size_t i = 0; i < lr->run.n; i++) {
		enum conform_cell c = lr->run.rows[i].cell[rule];
		pass += c == CONFORM_PASS;
		skip += c == CONFORM_SKIP;
		if (c == CONFORM_FAIL)
			judge_rule_is_should(rule) ? warn++ : fail++;
	}
	counts[0] += (unsigned)pass, counts[1] += (unsigned)fail, counts[2] += (unsigned)skip;
	return fail ? "FAIL" : warn ? "warn" : pass ? "pass" : skip ? "skip" : "-";
}

static double median_fork_ms(const struct conform_run *run)
{
	double v[64];
	size_t n = 0;
	for (size_t i = 0; i < run->n && n < 64; i++)
		if (strncmp(run->rows[i].name, "refusal:", 8) != 0 || run->n == 1)
			v[n++] = run->rows[i].fork_ms;
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
			double t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return n ? v[n / 2] : 0;
}

/* The errno names the forks reported in their notes, e.g. "EXDEV", once
 * each: "(EXDEV: ...)" after a fallback, or why a refusal row failed. */
static void fallbacks(const struct conform_run *run, char *out, size_t len)
{
	out[0] = '\0';
	for (size_t i = 0; i < run->n; i++) {
		const char *note = run->rows[i].note;
		for (const char *p = note; p && (p = strstr(p, "(E")); p++) {
			size_t n = strspn(p + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
			if (p[1 + n] != ':')
				continue;
			char what[40];
			snprintf(what, sizeof what, "%s%.*s",
				 strncmp(run->rows[i].name, "refusal:", 8) == 0 ? "refused: " : "",
				 (int)n, p + 1);
			if (!strstr(out, what))
				snprintf(out + strlen(out), len - strlen(out), "%s%s",
					 *out ? ", " : "", what);
		}
	}
}

void matrix_print_summary(const struct leg_result *lr, size_t n)
{
	printf("\n%-20s", "leg");
	for (int rule = 1; rule <= JUDGE_RULES; rule++)
		printf(" F%-4d", rule);
	printf(" %-9s %s\n", "fork", "fallback seen");
	unsigned counts[3] = { 0 };
	for (size_t i = 0; i < n; i++) {
		printf("%-20s", lr[i].leg->name);
		if (lr[i].error[0]) {
			printf(" ERROR: %s\n", lr[i].error);
			continue;
		}
		for (int rule = 1; rule <= JUDGE_RULES; rule++)
			printf(" %-5s", cell_of(&lr[i], rule, counts));
		char fb[256];
		fallbacks(&lr[i].run, fb, sizeof fb);
		printf(" %6.1f ms %s\n", median_fork_ms(&lr[i].run), fb[0] ? fb : "-");
	}
	printf("\n");
	for (size_t i = 0; i < n; i++) {
		if (lr[i].error[0])
			continue;
		printf("%-20s %s, %s; %.1f s%s%s\n", lr[i].leg->name, lr[i].run.fstype,
		       lr[i].run.capabilities, lr[i].seconds,
		       lr[i].leg->what[0] ? "; forces: " : "", lr[i].leg->what);
	}
	/* Skips say why; failures say what. */
	for (size_t i = 0; i < n; i++) {
		for (size_t r = 0; r < lr[i].run.n; r++) {
			const struct conform_row *row = &lr[i].run.rows[r];
			for (int rule = 1; rule <= JUDGE_RULES; rule++) {
				if (row->cell[rule] != CONFORM_SKIP && row->cell[rule] != CONFORM_FAIL)
					continue;
				const char *d = row->detail[rule] ? row->detail[rule] : "";
				printf("  %s/%s F%d %s: %.*s\n", lr[i].leg->name, row->name, rule,
				       row->cell[rule] == CONFORM_SKIP ? "skip" : "FAIL",
				       (int)strcspn(d, "\n"), d);
			}
		}
	}
	printf("\nmatrix: %zu legs, %u pass, %u FAIL, %u skip\n", n, counts[0], counts[1],
	       counts[2]);
}

int matrix_leg_failed(const struct leg_result *lr)
{
	return lr->error[0] || conform_run_failed(&lr->run);
}

/* For a failed leg: its log, a tar of each kept tree, and the command. */
void matrix_save_artifacts(const struct matrix_opts *o, const struct leg_result *lr)
{
	mkdir(o->artifacts, 0755);
	char dst[PATH_MAX + 64], err[512];
	snprintf(dst, sizeof dst, "%s/%s.log", o->artifacts, lr->leg->name);
	matrix_sh("cp '%s' '%s'", lr->log, dst);
	for (size_t i = 0; i < lr->run.n; i++) {
		const struct conform_row *row = &lr->run.rows[i];
		if (!row->kept)
			continue;
		char tar[PATH_MAX + 128];
		snprintf(tar, sizeof tar, "%s/%s-%s.tar", o->artifacts, lr->leg->name, row->name);
		for (char *p = tar + strlen(o->artifacts) + 1; *p; p++)
			if (*p == ':')
				*p = '-';
		if (fixture_capture(row->kept, tar, 0, NULL, err, sizeof err) < 0)
			fprintf(stderr, "matrix: %s: %s\n", tar, err);
	}
	printf("%s: FAILED; log and trees in %s; rerun just this leg with:\n  %s\n", lr->leg->name,
	       o->artifacts, lr->run.repro[0] ? lr->run.repro : "snapfork matrix");
}

int matrix_write_junit(const char *path, const struct leg_result *lr, size_t n)
{
	FILE *f = cli_report_open(path); /* "-" is stdout */
	if (!f)
		return -errno;
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n", f);
	for (size_t i = 0; i < n; i++) {
		char suite[128];
		snprintf(suite, sizeof suite, "snapfork matrix: %s", lr[i].leg->name);
		const char *props[] = {
			"leg",          lr[i].leg->name,      "mkfs",   lr[i].leg->fs,
			"mkfs_options", lr[i].leg->mkfs_opts, "forces", lr[i].leg->what,
			"setup_error",  lr[i].error,          NULL
		};
		conform_junit_suite(f, &lr[i].run, suite, props);
	}
	fputs("</testsuites>\n", f);
	return cli_fclose(f);
}


int matrix_write_json(const char *path, const struct leg_result *lr, size_t n)
{
	json_t *o = json_object(), *legs = json_array();
	int ok = 1;
	for (size_t i = 0; i < n; i++) {
		json_t *l = json_object();
		cli_json_set(l, "leg", cli_json_str(lr[i].leg->name));
		cli_json_set(l, "mkfs", cli_json_str(lr[i].leg->fs));
		cli_json_set(l, "forces", cli_json_str(lr[i].leg->what));
		cli_json_set(l, "setup_error", cli_json_str(lr[i].error[0] ? lr[i].error : NULL));
		cli_json_set(l, "seconds", json_real(lr[i].seconds));
		cli_json_set(l, "run", conform_run_json(&lr[i].run));
		json_array_append_new(legs, l);
		ok &= !matrix_leg_failed(&lr[i]);
	}
	cli_json_set(o, "legs", legs);
	cli_json_set(o, "ok", json_boolean(ok));
	return cli_json_write_file(path, o);
}
