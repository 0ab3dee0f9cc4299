/* cmd_crash.c - snapfork crash: each fixture forked and killed at every
 * point where the fork changes a filesystem (a sample past --points), and
 * what each kill left judged by CONTRACT.md C1 and C2.  A command of its
 * own, not a round of check: it forks each snapshot hundreds of times, and
 * what it reports (the points, the states seen) is not a rule table. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "child.h"
#include "cli.h"
#include "commands.h"
#include "crash.h"
#include "forkcmd.h"
#include "judge.h"
#include "layout.h"

static const char usage[] =
	"usage: snapfork crash [--fork-cmd TEMPLATE [--clean-cmd TEMPLATE]] [--fixture NAME]...\n"
	"                      [--exclude NAME]... [--generate N | --layout I] [--points N]\n"
	"                      [--seed S] [--point K] [--scratch DIR] [--fork-timeout S]\n"
	"  Fork each fixture under ptrace, killed (the whole process tree, SIGKILL)\n"
	"  just before the k-th system call that changes a filesystem, for every k\n"
	"  (CONTRACT.md C1, C2): DST must be absent or complete, SRC untouched, and\n"
	"  what is left beside DST removed by the cleanup, and the link counts\n"
	"  of SRC's files back to before.\n"
	"  --fork-cmd T      the fork, as for check (default: this binary's fork)\n"
	"  --clean-cmd T     the cleanup of DST's parent, {dir} replaced (default with\n"
	"                    the library: snapfork clean {dir}; without: none, so\n"
	"                    whatever a killed fork leaves fails)\n"
	"  --fixture NAME    a bundled fixture or FILE.tar; repeatable (default all)\n"
	"  --exclude NAME    leave a bundled fixture out\n"
	"  --generate N      N layouts drawn from --seed instead of the fixtures, as\n"
	"                    check --generate draws them (each forked once, plainly)\n"
	"  --layout I        only layout I of --seed (reruns a failure)\n"
	"  --points N        at most N points a fixture (default 500): past that,\n"
	"                    every rename and link and its neighbours, the rest evenly\n"
	"                    spaced from an offset drawn from --seed\n"
	"  --seed S          for the layouts and that sample (default: drawn, printed)\n"
	"  --point K         only point K (of one --fixture or --layout): reruns one\n"
	"  --scratch DIR     where snapshots and forks go (default $TMPDIR or /var/tmp)\n"
	"  --fork-timeout S  limit to each fork (default 300)\n"
	"  Each row: the points the fork met, how many were tried, what the kills\n"
	"  left (DST absent, complete or partial; SRC changed), how many left\n"
	"  something beside DST (the staging of a fork that publishes with a\n"
	"  rename: expected) and how many of those the cleanup did not remove.\n"
	"  {src}, {dst} and {dir} are replaced by shell-quoted paths.\n"
	"  Exit 0: every point left DST absent or complete and nothing behind; 1: a\n"
	"  point did not, or the fork failed unkilled; 2: usage or setup error (a\n"
	"  fork command that cannot be run); 128+N: stopped by signal N.\n";

struct opts {
	const char *fork_tmpl, *clean_tmpl, *scratch;
	const char *names[64], *excl[64];
	size_t nnames, nexcl;
	unsigned max, point, timeout, generate, layout;
	int layout_given;
	uint64_t seed;
	int seed_given;
};

static int number(const char *opt, const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *end || v == 0 || v > max)
		return cli_usage_error("crash", opt, s);
	*out = v;
	return 0;
}

/* One option into o: 0, -1 (--help printed), or an exit status. */
static int option(int c, char **argv, struct opts *o)
{
	int r = 0;
	unsigned long v = 0;
	switch (c) {
	case 'c':
		o->fork_tmpl = optarg;
		break;
	case 'C':
		o->clean_tmpl = optarg;
		break;
	case 'S':
		o->scratch = optarg;
		break;
	case 'f':
		if (o->nnames == 64)
			return cli_usage_error("crash", "too many --fixture", optarg);
		o->names[o->nnames++] = optarg;
		break;
	case 'x':
		if (o->nexcl == 64)
			return cli_usage_error("crash", "too many --exclude", optarg);
		o->excl[o->nexcl++] = optarg;
		break;
	case 'n':
		r = number("--points takes 1 to 100000", optarg, 100000, &v);
		o->max = (unsigned)v;
		break;
	case 'k':
		r = number("--point takes a point's number", optarg, CRASH_MAX_POINTS, &v);
		o->point = (unsigned)v;
		break;
	case 't':
		r = number("--fork-timeout takes seconds", optarg, 1000000, &v);
		o->timeout = (unsigned)v;
		break;
	case 'g':
		r = number("--generate takes 1 to 100000 layouts", optarg, 100000, &v);
		o->generate = (unsigned)v;
		break;
	case 'L': {
		char *end;
		v = strtoul(optarg, &end, 10);
		if (!*optarg || *end || v >= 100000)
			return cli_usage_error(
				"crash", "--layout takes a layout's number (0, 1, ...)", optarg);
		o->layout = (unsigned)v;
		o->layout_given = 1;
		break;
	}
	case 's': {
		char *end;
		o->seed = strtoull(optarg, &end, 10);
		o->seed_given = 1;
		if (!*optarg || *end)
			return cli_usage_error("crash", "--seed takes a number", optarg);
		break;
	}
	case 'h':
		fputs(usage, stdout);
		return -1;
	default:
		return cli_bad_option("crash", c, argv);
	}
	return r;
}

/* Options that go together, and those that do not. */
static int consistent(int argc, char **argv, const struct opts *o)
{
	if (optind != argc)
		return cli_usage_error("crash", "unexpected argument", argv[optind]);
	if (o->fork_tmpl && !forkcmd_template_ok(o->fork_tmpl))
		return cli_usage_error("crash",
				       "--fork-cmd needs bare {src} and {dst} (replaced by "
				       "shell-quoted paths: no quotes around them)",
				       NULL);
	if (o->clean_tmpl && !o->fork_tmpl)
		return cli_usage_error("crash",
				       "--clean-cmd goes with --fork-cmd (the library's cleanup is "
				       "snapfork clean)",
				       NULL);
	if (o->clean_tmpl && !strstr(o->clean_tmpl, "{dir}"))
		return cli_usage_error("crash", "--clean-cmd needs {dir}", o->clean_tmpl);
	int gen = o->generate || o->layout_given;
	if (o->point && o->nnames != 1 && !o->layout_given)
		return cli_usage_error(
			"crash", "--point reruns one point of one --fixture or --layout", NULL);
	if (gen && (o->nnames || o->nexcl))
		return cli_usage_error(
			"crash",
			"--generate and --layout draw layouts: not with --fixture or --exclude",
			NULL);
	if (o->generate && o->layout_given)
		return cli_usage_error("crash", "--layout names one layout: not with --generate",
				       NULL);
	if (o->layout_given && !o->seed_given)
		return cli_usage_error("crash", "--layout needs the --seed it was drawn from",
				       NULL);
	if (o->nnames && o->nexcl)
		return cli_usage_error(
			"crash", "--exclude leaves bundled fixtures out: not with --fixture", NULL);
	return 0;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "fork-cmd", required_argument, NULL, 'c' },
		{ "clean-cmd", required_argument, NULL, 'C' },
		{ "fixture", required_argument, NULL, 'f' },
		{ "exclude", required_argument, NULL, 'x' },
		{ "points", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "point", required_argument, NULL, 'k' },
		{ "scratch", required_argument, NULL, 'S' },
		{ "fork-timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "generate", required_argument, NULL, 'g' },
		{ "layout", required_argument, NULL, 'L' },
		{ NULL, 0, NULL, 0 },
	};
	int c, r;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", lo, NULL)) != -1)
		if ((r = option(c, argv, o)) != 0)
			return r;
	return consistent(argc, argv, o);
}

static int load(const struct opts *o, struct fixture **fx, size_t *n)
{
	char err[1024];
	if (o->nnames == 0) {
		if (fixture_list(fx, n, err, sizeof err) < 0)
			return fprintf(stderr, "snapfork crash: %s\n", err), -1;
		for (size_t i = 0; i < o->nexcl; i++)
			if (fixture_exclude(*fx, n, o->excl[i]) < 0)
				return fprintf(stderr,
					       "snapfork crash: --exclude names no bundled "
					       "fixture: %s (see snapfork fixture list)\n",
					       o->excl[i]),
				       -1;
		return 0;
	}
	*fx = calloc(o->nnames, sizeof **fx);
	for (*n = 0; *fx && *n < o->nnames; (*n)++)
		if (fixture_resolve(o->names[*n], &(*fx)[*n], err, sizeof err) < 0)
			return fprintf(stderr, "snapfork crash: %s\n", err), -1;
	return *fx ? 0 : -1;
}

/* Layouts of o->seed (gen-I) as rows: the exit status so far. */
static int layouts(const struct opts *o, const struct crash_plan *pl, const struct crash_opts *co)
{
	int rc = EXIT_OK, devices = layout_can_mknod(co->scratch); /* as check draws them */
	unsigned from = o->layout_given ? o->layout : 0;
	unsigned to = o->layout_given ? o->layout + 1 : o->generate;
	for (unsigned i = from; i < to && rc != EXIT_USAGE && !child_interrupted(); i++) {
		struct layout l;
		char name[32];
		if (layout_generate(o->seed, i, devices, &l) < 0) {
			fprintf(stderr, "snapfork crash: gen-%u: out of memory\n", i);
			return EXIT_USAGE;
		}
		snprintf(name, sizeof name, "gen-%u", i);
		struct crash_source src = { name, NULL, &l, layout_refused(&l), NULL, i };
		int r = crash_fixture_main(pl, co, &src);
		rc = r == EXIT_USAGE ? EXIT_USAGE : r == EXIT_FAIL ? EXIT_FAIL : rc;
		layout_free(&l);
	}
	return rc;
}

int cmd_crash(int argc, char **argv)
{
	struct opts o = { .max = 500 };
	int p = parse(argc, argv, &o);
	if (p)
		return p < 0 ? EXIT_OK : p;
	static char self[PATH_MAX], fork_tmpl[PATH_MAX + 64], clean_tmpl[PATH_MAX + 64];
	ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
	if (sl <= 0) {
		cli_error("crash", "/proc/self/exe", "cannot find this binary (to fork with)",
			  -errno);
		return EXIT_USAGE;
	}
	self[sl] = '\0';
	char *qs = child_sh_quote(self);
	snprintf(fork_tmpl, sizeof fork_tmpl, "%s fork {src} {dst}", qs ? qs : self);
	snprintf(clean_tmpl, sizeof clean_tmpl, "%s clean {dir} >/dev/null", qs ? qs : self);
	free(qs);
	struct crash_opts co = { o.fork_tmpl ? o.fork_tmpl : fork_tmpl,
				 o.fork_tmpl ? o.clean_tmpl : clean_tmpl, NULL, o.timeout };
	if (!o.seed_given) { /* drawn: short enough to type */
		if (getrandom(&o.seed, sizeof o.seed, 0) != sizeof o.seed)
			o.seed = (uint64_t)getpid();
		o.seed %= 1000000000u;
	}
	struct fixture *fx = NULL;
	size_t n = 0;
	if (!o.generate && !o.layout_given && load(&o, &fx, &n) < 0) {
		if (fx)
			fixture_list_free(fx, n);
		return EXIT_USAGE;
	}
	char scratch[PATH_MAX];
	snprintf(scratch, sizeof scratch, "%s/snapfork-crash.XXXXXX", cli_scratch_base(o.scratch));
	if (!mkdtemp(scratch)) {
		cli_error("crash", scratch, "cannot create the scratch directory", -errno);
		fixture_list_free(fx, n);
		return EXIT_USAGE;
	}
	co.scratch = scratch;
	child_signals_install();
	/* The fork's orphans (a killed shell's children) become ours, so
	 * each is reaped as it dies (trace.c waits for every task): a zombie
	 * left to an init that does not reap would look alive to a cleanup
	 * that asks kill(pid, 0). */
	child_subreaper();
	printf("crash: seed %" PRIu64 ", fork: %s, cleanup: %s\n", o.seed, co.fork_tmpl,
	       co.clean_tmpl ? co.clean_tmpl : "(none)");
	struct crash_plan plan = { o.max,	 o.point,     o.seed,   o.fork_tmpl,
				   o.clean_tmpl, o.scratch, o.timeout };
	int rc = o.generate || o.layout_given ? layouts(&o, &plan, &co) : EXIT_OK;
	for (size_t i = 0; i < n && rc != EXIT_USAGE && !child_interrupted(); i++) {
		const char *dir = fixture_dir();
		size_t dl = strlen(dir);
		int bundled = strncmp(fx[i].tar, dir, dl) == 0 && fx[i].tar[dl] == '/';
		struct crash_source src = {
			fx[i].name, &fx[i], NULL, fx[i].refused, bundled ? fx[i].name : fx[i].tar, 0
		};
		int r = crash_fixture_main(&plan, &co, &src);
		rc = r == EXIT_USAGE ? EXIT_USAGE : r == EXIT_FAIL ? EXIT_FAIL : rc;
	}
	judge_remove_tree(scratch);
	fixture_list_free(fx, n);
	if (child_interrupted())
		return 128 + child_interrupted();
	printf("crash: %s\n",
	       rc == EXIT_OK	 ? "every point left DST absent or complete and nothing behind"
	       : rc == EXIT_FAIL ? "the fork implementation violates the contract (each failing "
				   "row is above, with the command that reruns it)"
				 : "setup error (said above)");
	return rc;
}
