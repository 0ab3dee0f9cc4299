/* cmd_check.c - snapfork check: the conformance check of a fork
 * implementation (the reference library, or any command) on fixtures. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "child.h"
#include "cli.h"
#include "commands.h"
#include "conform.h"
#include "forkcmd.h"
#include "snapfork.h"

static const char usage[] =
	"usage: snapfork check [--fork-cmd TEMPLATE [--fork-timeout S]] [--scratch DIR] [--fork-dir DIR]\n"
	"                      [--fixture NAME|FILE.tar]... [--exclude NAME]... [--junit FILE|-]\n"
	"                      [--json FILE|-] [--keep] [--concurrency K]\n"
	"       snapfork check --generate N [--seed S] [--no-shrink] [--fail-fast] [same options]\n"
	"       snapfork check --dimensions\n"
	"  Extract each bundled fixture, fork it twice with the implementation under\n"
	"  test and judge every rule of CONTRACT.md; then refusal rows (a FIFO, and as\n"
	"  root a device node, planted: the fork must fail and leave nothing).\n"
	"  --fork-cmd T      the fork implementation: T run by /bin/sh -c with {src}\n"
	"                    and {dst} replaced by shell-quoted absolute paths (default:\n"
	"                    the reference library, in process)\n"
	"  --fork-timeout S  a fork running longer is killed with its process group and\n"
	"                    fails its row (default 300)\n"
	"  --scratch DIR     where snapshots are extracted and forked (default $TMPDIR,\n"
	"                    else /var/tmp); a failing row keeps its trees there\n"
	"  --fork-dir DIR    forks go there instead, e.g. another filesystem (F11)\n"
	"  --fixture X       only this bundled fixture, or a FILE.tar (fixture capture);\n"
	"                    repeatable\n"
	"  --exclude NAME    leave a bundled fixture out (e.g. deep: tools that walk by\n"
	"                    path cannot pass it); repeatable\n"
	"  --junit FILE, --json FILE  reports, checked before the run; - is stdout (the\n"
	"                    table goes to stderr then)\n"
	"  --keep            keep every row's trees, not only failing ones\n"
	"  --concurrency K   forks at once in each fixture's concurrent row (2-16,\n"
	"                    default 4); two forks also race into one DST (exactly\n"
	"                    one may win)\n"
	"  --generate N      N snapshot layouts drawn from a seed instead of fixtures;\n"
	"                    each also draws how it is forked (1, 2, 4 or 8 at once,\n"
	"                    a race, hostile paths: --dimensions)\n"
	"  --seed S          the seed (default: drawn, and printed first)\n"
	"  --no-shrink       do not shrink each failing rule's first layout to a fixture\n"
	"  --fail-fast       stop at the first failing layout\n"
	"  --dimensions      print the layout space generation draws from, as markdown\n"
	"  Exit 0: every MUST rule holds; 1: one fails; 2: usage or setup error (a fork\n"
	"  command that cannot run at all, exit 126/127 on its first call, is one);\n"
	"  128 + N: stopped by signal N, children killed, scratch removed (unless --keep).\n";

/* A number for --generate or --seed; -1 if it is none. */
static int number(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || !*s || *end || *s == '-' || v > max)
		return -1;
	*out = v;
	return 0;
}

static int option(int c, struct check_opts *o)
{
	uint64_t v;
	switch (c) {
	case 'c':
		o->tmpl = optarg;
		return 0;
	case 's':
		o->scratch = optarg;
		return 0;
	case 'd':
		o->fork_dir = optarg;
		return 0;
	case 'f':
		o->fixtures[o->nfix++] = optarg;
		return 0;
	case 'K':
		if (number(optarg, CONFORM_MAX_K, &v) < 0 || v < 2)
			return -11;
		o->concurrency = (unsigned)v;
		return 0;
	case 'x':
		o->excludes[o->nexcl++] = optarg;
		return 0;
	case 'j':
		o->junit = optarg;
		return 0;
	case 'J':
		o->json = optarg;
		return 0;
	case 'k':
		o->keep = 1;
		return 0;
	case 'n':
		o->no_shrink = 1;
		return 0;
	case 'F':
		o->fail_fast = 1;
		return 0;
	case 'D':
		o->dimensions = 1;
		return 0;
	case 'g':
		if (number(optarg, 1000000, &v) < 0 || v == 0)
			return -3;
		o->generate = (unsigned)v;
		return 0;
	case 'S':
		if (number(optarg, UINT64_MAX, &o->seed) < 0)
			return -4;
		o->seed_given = 1;
		return 0;
	case 't':
		if (number(optarg, 1000000, &v) < 0 || v == 0)
			return -7;
		o->fork_timeout = (unsigned)v;
		return 0;
	case 'h':
		fputs(usage, stdout);
		return 1;
	default:
		return -1;
	}
}

#define USAGE_SAID (-100) /* parse's error, already printed */

static int parse(int argc, char **argv, struct check_opts *o)
{
	static const struct option longopts[] = {
		{ "fork-cmd", required_argument, NULL, 'c' },
		{ "scratch", required_argument, NULL, 's' },
		{ "fork-dir", required_argument, NULL, 'd' },
		{ "fixture", required_argument, NULL, 'f' },
		{ "junit", required_argument, NULL, 'j' },
		{ "json", required_argument, NULL, 'J' },
		{ "keep", no_argument, NULL, 'k' },
		{ "generate", required_argument, NULL, 'g' },
		{ "seed", required_argument, NULL, 'S' },
		{ "no-shrink", no_argument, NULL, 'n' },
		{ "fail-fast", no_argument, NULL, 'F' },
		{ "dimensions", no_argument, NULL, 'D' },
		{ "fork-timeout", required_argument, NULL, 't' },
		{ "exclude", required_argument, NULL, 'x' },
		{ "concurrency", required_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, r;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1)
		if (c == '?' || c == ':') {
			cli_bad_option("check", c, argv);
			return USAGE_SAID;
		} else if ((r = option(c, o)) != 0)
			return r;
	if (optind != argc)
		return -1;
	if (o->tmpl && !forkcmd_template_ok(o->tmpl))
		return -2;
	if (o->generate && o->nfix)
		return -5;
	if ((o->seed_given || o->no_shrink || o->fail_fast) && !o->generate)
		return -6;
	if (o->fork_timeout && !o->tmpl)
		return -8;
	if (o->json && o->junit && !strcmp(o->json, "-") && !strcmp(o->junit, "-"))
		return -9;
	if (o->nexcl && (o->nfix || o->generate))
		return -10;
	return 0;
}

/* Leave out the bundled fixtures --exclude names; naming one that is not
 * there is an error (a typo would leave it in). */
static int exclude(const struct check_opts *o, struct fixture *fx, size_t *n)
{
	for (size_t x = 0; x < o->nexcl; x++)
		if (fixture_exclude(fx, n, o->excludes[x]) < 0) {
			fprintf(stderr, "snapfork check: --exclude names no bundled fixture: %s (see "
					"snapfork fixture list)\n",
				o->excludes[x]);
			return -1;
		}
	return 0;
}

static int load_fixtures(const struct check_opts *o, struct fixture **fx, size_t *n)
{
	char err[1024];
	if (o->nfix == 0) {
		if (fixture_list(fx, n, err, sizeof err) == 0)
			return exclude(o, *fx, n);
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

/* The refusal rows need a snapshot with a memory, best one kept in
 * snapshots/ (the node is planted there, deep in the tree): the first
 * such raw one, else the first raw one, else the first not refused. */
static const struct fixture *refusal_base(const struct fixture *fx, size_t n)
{
	const struct fixture *raw = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!fx[i].kind || strcmp(fx[i].kind, "raw") != 0 || fx[i].refused)
			continue;
		if (fx[i].mem_file && strncmp(fx[i].mem_file, "snapshots/", 10) == 0)
			return &fx[i];
		raw = raw ? raw : &fx[i];
	}
	if (raw)
		return raw;
	/* A fixture that is refused already is its own refusal row: planting
	 * in it again would show that row twice. */
	for (size_t i = 0; i < n; i++)
		if (!fx[i].refused)
			return &fx[i];
	return NULL;
}


/* Table, then the report files; the exit status. */
static int report(const struct check_opts *o, const struct conform_run *run, int rc)
{
	int w;
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


/* After SIGINT/SIGTERM/SIGHUP: every child stopped, 128 + the signal. */
static int interrupted(const char *scratch, int keep)
{
	child_stop_all();
	fprintf(stderr, "snapfork check: stopped by signal %d (%s): every child killed; %s%s\n",
		child_interrupted(), strsignal(child_interrupted()),
		keep ? "scratch kept: " : "scratch removed", keep ? scratch : "");
	return 128 + child_interrupted();
}

/* Append " OPT VALUE" (VALUE shell-quoted) to out. */
static void append_opt(char *out, size_t len, const char *opt, const char *value)
{
	char *q = value ? child_sh_word(value) : NULL;
	size_t k = strlen(out);
	if (q)
		snprintf(out + k, len - k, " %s %s", opt, q);
	free(q);
}

/* The reproducer's command line: every option that shaped the rows
 * (--fixture is the row's own, added by the table). */
static void command_line(const struct check_opts *o, char *out, size_t len)
{
	char limit[24] = "";
	snprintf(out, len, "snapfork check");
	append_opt(out, len, "--fork-cmd", o->tmpl);
	if (o->fork_timeout) /* without it a rerun waits 300 s on each hang */
		snprintf(limit, sizeof limit, "%u", o->fork_timeout);
	append_opt(out, len, "--fork-timeout", limit[0] ? limit : NULL);
	append_opt(out, len, "--scratch", o->scratch);
	append_opt(out, len, "--fork-dir", o->fork_dir);
	char k[16] = "";
	if (o->concurrency)
		snprintf(k, sizeof k, "%u", o->concurrency);
	append_opt(out, len, "--concurrency", k[0] ? k : NULL);
}

static int usage_error(int p)
{
	static const char *const why[] = { "bad arguments",
					   "--fork-cmd needs bare {src} and {dst} (replaced by shell-quoted paths: no quotes around them)",
					   "--generate needs a count from 1 to 1000000",
					   "--seed needs a number",
					   "--generate and --fixture exclude each other",
					   "--seed, --no-shrink and --fail-fast go with --generate",
					   "--fork-timeout needs seconds from 1 to 1000000",
					   "--fork-timeout goes with --fork-cmd",
					   "only one of --json and --junit can be - (stdout)",
					   "--exclude leaves bundled fixtures out: not with --fixture or "
					   "--generate",
					   "--concurrency takes 2 to 16 forks at once" };
	return cli_usage_error("check", why[-p - 1], NULL);
}

/* The fixtures, then a refusal row: the table, the exit status. */
static int run_fixtures(const struct conform_setup *c, const struct fixture *fx, size_t nfx,
			struct conform_run *run)
{
	if (conform_run_fixtures(run, c, fx, nfx, refusal_base(fx, nfx)) < 0)
		return EXIT_USAGE;
	conform_print_table(stdout, run);
	return conform_run_failed(run) ? EXIT_FAIL : EXIT_OK;
}

int cmd_check(int argc, char **argv)
{
	struct check_opts o = { 0 };
	o.fixtures = calloc((size_t)argc + 1, sizeof *o.fixtures);
	o.excludes = calloc((size_t)argc + 1, sizeof *o.excludes);
	int p = o.fixtures && o.excludes ? parse(argc, argv, &o) : -1;
	if (p != 0 || o.dimensions) {
		if (p == 0)
			layout_dims_markdown(stdout);
		free(o.fixtures);
		free(o.excludes);
		return p >= 0 ? EXIT_OK : p == USAGE_SAID ? EXIT_USAGE : usage_error(p);
	}
	if (o.generate && !o.seed_given)
		o.seed = check_random_seed();
	if (cli_reports_writable("check", o.junit, o.json) < 0) {
		free(o.fixtures);
		free(o.excludes);
		return EXIT_USAGE;
	}
	child_signals_install();
	int saved_stdout = cli_stdout_aside(o.junit, o.json);
	char scratch[PATH_MAX] = "", seed[32];
	struct conform_run run = { 0 };
	struct fixture *fx = NULL;
	size_t nfx = 0;
	int rc = EXIT_USAGE;
	if ((!o.generate && (load_fixtures(&o, &fx, &nfx) < 0 || nfx == 0)) ||
	    check_scratch_make(&o, scratch, sizeof scratch) < 0)
		goto out;
	snprintf(seed, sizeof seed, "%" PRIu64, o.seed);
	const char *props[] = { "seed", seed, "layouts", "generated", NULL };
	if (o.generate)
		run.props = props;
	run.fork_desc = o.tmpl ? o.tmpl : "reference library (libsnapfork " SNAPFORK_VERSION ")";
	command_line(&o, run.repro, sizeof run.repro);
	run.repro_fixture = 1;
	conform_describe(&run, scratch);
	if (o.generate)
		printf("snapfork check: seed %s (--generate %u --seed %s)\n", seed, o.generate,
		       seed);
	printf("snapfork check: %s\n  on %s, %s (%s), %s\n\n", run.fork_desc, run.kernel,
	       run.fstype, run.mount_options, run.capabilities);
	struct forkcmd fc = { .tmpl = o.tmpl, .timeout_s = o.fork_timeout };
	o.devices = layout_can_mknod(scratch);
	struct conform_setup c = { .scratch = scratch,
				   .fork_dir = o.fork_dir,
				   .fork = o.tmpl ? forkcmd_run : conform_fork_ref,
				   .ctx = &fc,
				   .keep = o.keep,
				   .left = o.tmpl ? forkcmd_left : NULL,
				   .concurrency = o.concurrency };
	rc = o.generate ? check_generate(&o, &c, scratch, &run) : run_fixtures(&c, fx, nfx, &run);
	if (rc != EXIT_USAGE && !child_interrupted())
		check_scratch_report(&o, &run, scratch);
	cli_stdout_back(&saved_stdout);
	if (rc != EXIT_USAGE && !child_interrupted())
		rc = report(&o, &run, rc);
out:
	cli_stdout_back(&saved_stdout);
	if (child_interrupted()) /* children first: they may still write there */
		rc = interrupted(scratch, o.keep);
	check_scratch_drop(&o, &run, scratch);
	conform_run_free(&run);
	fixture_list_free(fx, nfx);
	free(o.fixtures);
	free(o.excludes);
	return rc;
}
