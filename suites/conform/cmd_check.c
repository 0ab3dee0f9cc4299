/* cmd_check.c - snapfork check: the conformance check of a fork
 * implementation (the reference library, or any command) on fixtures. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "conform.h"
#include "forkcmd.h"
#include "snapfork.h"

static const char usage[] =
	"usage: snapfork check [--fork-cmd TEMPLATE] [--scratch DIR] [--fork-dir DIR]\n"
	"                      [--fixture NAME|FILE.tar]... [--junit FILE] [--json FILE] [--keep]\n"
	"  Extract each fixture, fork it (the reference library, or TEMPLATE run with\n"
	"  /bin/sh -c, {src} and {dst} replaced by shell-quoted absolute paths) and\n"
	"  check every rule of CONTRACT.md.  Exit 0: every MUST rule holds; 1: one\n"
	"  fails; 2: usage or setup error.\n";

struct opts {
	const char *tmpl, *scratch, *fork_dir, *junit, *json;
	const char **fixtures;
	size_t nfix;
	int keep;
};

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "fork-cmd", required_argument, NULL, 'c' },
		{ "scratch", required_argument, NULL, 's' },
		{ "fork-dir", required_argument, NULL, 'd' },
		{ "fixture", required_argument, NULL, 'f' },
		{ "junit", required_argument, NULL, 'j' },
		{ "json", required_argument, NULL, 'J' },
		{ "keep", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->tmpl = optarg;
			break;
		case 's':
			o->scratch = optarg;
			break;
		case 'd':
			o->fork_dir = optarg;
			break;
		case 'f':
			o->fixtures[o->nfix++] = optarg;
			break;
		case 'j':
			o->junit = optarg;
			break;
		case 'J':
			o->json = optarg;
			break;
		case 'k':
			o->keep = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return 1;
		default:
			return -1;
		}
	}
	if (optind != argc)
		return -1;
	if (o->tmpl && !forkcmd_template_ok(o->tmpl))
		return -2;
	return 0;
}

static int load_fixtures(const struct opts *o, struct fixture **fx, size_t *n)
{
	char err[1024];
	if (o->nfix == 0) {
		if (fixture_list(fx, n, err, sizeof err) == 0)
			return 0;
		fprintf(stderr, "snapfork check: %s\n", err);
		return -1;
	}
	*fx = calloc(o->nfix, sizeof **fx);
	for (*n = 0; *n < o->nfix; (*n)++) {
		if (fixture_resolve(o->fixtures[*n], &(*fx)[*n], err, sizeof err) < 0) {
			fprintf(stderr, "snapfork check: %s\n", err);
			return -1;
		}
	}
	return 0;
}

/* The refusal row needs a snapshot with a memory: the first raw one. */
static const struct fixture *refusal_base(const struct fixture *fx, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fx[i].kind && strcmp(fx[i].kind, "raw") == 0)
			return &fx[i];
	return n ? &fx[0] : NULL;
}

/* The scratch given, or a new one in $TMPDIR (default /var/tmp). */
static int make_scratch(const struct opts *o, char *scratch, size_t len)
{
	if (o->scratch) {
		snprintf(scratch, len, "%s", o->scratch);
		return 0;
	}
	const char *t = getenv("TMPDIR");
	snprintf(scratch, len, "%s/snapfork-check.XXXXXX", t && *t ? t : "/var/tmp");
	if (mkdtemp(scratch))
		return 0;
	cli_error("check", scratch, "cannot create the scratch directory", -errno);
	scratch[0] = '\0';
	return -1;
}

/* Table, then the report files; the exit status. */
static int report(const struct opts *o, const struct conform_run *run)
{
	conform_print_table(stdout, run);
	int rc = conform_run_failed(run) ? EXIT_FAIL : EXIT_OK, w;
	if (o->junit && (w = conform_write_junit(run, o->junit)) < 0) {
		cli_error("check", o->junit, "cannot write JUnit XML", w);
		rc = EXIT_USAGE;
	}
	if (o->json && (w = conform_write_json(run, o->json)) < 0) {
		cli_error("check", o->json, "cannot write JSON", w);
		rc = EXIT_USAGE;
	}
	return rc;
}

/* The scratch we made goes, unless a row kept its trees in it. */
static void drop_scratch(const struct opts *o, const struct conform_run *run, const char *scratch)
{
	if (o->scratch || !scratch[0])
		return;
	for (size_t i = 0; i < run->n; i++)
		if (run->rows[i].kept)
			return;
	judge_remove_tree(scratch);
}

int cmd_check(int argc, char **argv)
{
	struct opts o = { 0 };
	o.fixtures = calloc((size_t)argc + 1, sizeof *o.fixtures);
	int p = parse(argc, argv, &o);
	if (p != 0) {
		free(o.fixtures);
		return p > 0 ? EXIT_OK
			     : cli_usage_error("check",
					       p == -2 ? "--fork-cmd needs {src} and {dst}"
						       : "bad arguments",
					       NULL);
	}
	struct fixture *fx = NULL;
	size_t nfx = 0;
	char scratch[PATH_MAX] = "";
	struct conform_run run = { 0 };
	int rc = EXIT_USAGE;
	if (load_fixtures(&o, &fx, &nfx) < 0 || nfx == 0 ||
	    make_scratch(&o, scratch, sizeof scratch) < 0)
		goto out;
	run.fork_desc = o.tmpl ? o.tmpl : "reference library (libsnapfork " SNAPFORK_VERSION ")";
	snprintf(run.repro, sizeof run.repro, "snapfork check%s%s%s%s",
		 o.tmpl ? " --fork-cmd '" : "", o.tmpl ? o.tmpl : "", o.tmpl ? "'" : "",
		 o.fork_dir ? " --fork-dir ..." : "");
	run.repro_fixture = 1;
	conform_describe(&run, scratch);
	printf("snapfork check: %s\n  on %s, %s (%s), %s\n\n", run.fork_desc, run.kernel,
	       run.fstype, run.mount_options, run.capabilities);
	struct forkcmd fc = { o.tmpl, 0, 0, 0 };
	struct conform_setup c = { scratch, o.fork_dir, o.tmpl ? forkcmd_run : conform_fork_ref,
				   &fc,     o.keep,     NULL };
	if (conform_run_fixtures(&run, &c, fx, nfx, refusal_base(fx, nfx)) == 0)
		rc = report(&o, &run);
out:
	drop_scratch(&o, &run, scratch);
	conform_run_free(&run);
	fixture_list_free(fx, nfx);
	free(o.fixtures);
	return rc;
}
