/* cmd_powercut.c - snapfork powercut: each fork recorded by dm-log-writes
 * on ext4, xfs and btrfs, and the disk judged at every state a power
 * cut could have left (power.h; CONTRACT.md C3, C4).  A command of its
 * own: it needs root and device-mapper, which the check does not, and
 * runs where they are (in a guest of `snapfork kernels --legs powercut`
 * on a host without them). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "cli.h"
#include "commands.h"
#include "fixture.h"
#include "forkcmd.h"
#include "power.h"

static const char usage[] =
	"usage: snapfork powercut [--fs LIST] [--fork-cmd TEMPLATE [--durable]]\n"
	"                         [--fixture NAME]... [--states N] [--settle S]\n"
	"                         [--scratch DIR] [--keep DIR] [--fork-timeout S]\n"
	"                         [--json FILE] [--junit FILE]\n"
	"  Fork a fixture on a filesystem whose disk is recorded by device-mapper's\n"
	"  log-writes target, then rebuild the disk at every FLUSH or FUA the fork\n"
	"  (and the filesystem, for --settle seconds after it) sent, as a power cut\n"
	"  there would have left it; mount each state (the journal replays), judge\n"
	"  it and fsck it (CONTRACT.md C3, C4): DST absent or complete, SRC as\n"
	"  before, nothing to repair; after a durable fork returned, DST complete.\n"
	"  Runs on any host with root, dmsetup and the dm-log-writes and dm-snapshot\n"
	"  modules (Debian's kernels have them); elsewhere in a guest of a Debian\n"
	"  kernel: snapfork kernels --kernel linux-image-... --legs powercut\n"
	"  [--fork-cmd T --guest-file /path/to/your/fork [--durable]].\n"
	"  Only states at flush boundaries are tried, not writes reordered between\n"
	"  two flushes; the disk is 512 MiB (a --fixture must fit).\n"
	"  --fs LIST         ext4,xfs,btrfs (the default)\n"
	"  --fork-cmd T      the fork, as for check (default: this binary's fork,\n"
	"                    plain and with --fsync, and on xfs and btrfs, where it\n"
	"                    reflinks, with --method rw: copies to write back)\n"
	"  --durable         the --fork-cmd promises durability once it returned (C4)\n"
	"  --fixture NAME    a bundled fixture or FILE.tar; repeatable (default\n"
	"                    qemu-cycles: files copied, a mem-file linked, holes)\n"
	"  --states N        judge at most N states a fork (default 40): past that\n"
	"                    the first after the fork returned, the last, the rest\n"
	"                    evenly spaced\n"
	"  --settle S        seconds recorded after the fork returned (default 3; the\n"
	"                    filesystems are mounted with commit=1, and xfs's log\n"
	"                    forced every second: what a periodic commit minutes after\n"
	"                    a fork does, within the run)\n"
	"  --scratch DIR     where the disk images go (default $TMPDIR or /var/tmp)\n"
	"  --keep DIR        keep the first bad state's disk image and the log there\n"
	"  --fork-timeout S  limit to each fork (default 300)\n"
	"  --json FILE, --junit FILE  reports (- for stdout: the table goes to stderr)\n"
	"  Each row: the states, how many were judged, what DST was in them\n"
	"  (absent, complete, torn), SRC changed, states that did not recover\n"
	"  (no mount, or fsck found damage), C3 and C4 (- when it does not apply).\n"
	"  Exit 0: every state held; 1: one did not; 2: usage or setup error\n"
	"  (device-mapper missing: the reason is printed); 128+N: signal N.\n";

struct opts {
	const char *fork_tmpl, *scratch, *keep, *json, *junit;
	const char *fs[3], *names[16];
	size_t nfs, nnames;
	unsigned states, settle, timeout;
	int durable;
};

static int number(const char *opt, const char *s, unsigned long min, unsigned long max,
		  unsigned *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *end || v < min || v > max)
		return cli_usage_error("powercut", opt, s);
	*out = (unsigned)v;
	return 0;
}

static int fs_list(char *arg, struct opts *o)
{
	o->nfs = 0;
	for (char *save, *t = strtok_r(arg, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (strcmp(t, "ext4") && strcmp(t, "xfs") && strcmp(t, "btrfs"))
			return cli_usage_error("powercut", "--fs takes ext4, xfs and btrfs", t);
		if (o->nfs == 3)
			return cli_usage_error("powercut", "--fs names each filesystem once", t);
		o->fs[o->nfs++] = t;
	}
	return o->nfs ? 0 : cli_usage_error("powercut", "--fs takes ext4, xfs and btrfs", arg);
}

static int option(int c, char **argv, struct opts *o)
{
	switch (c) {
	case 'F': return fs_list(optarg, o);
	case 'c': o->fork_tmpl = optarg; return 0;
	case 'd': o->durable = 1; return 0;
	case 'S': o->scratch = optarg; return 0;
	case 'K': o->keep = optarg; return 0;
	case 'j': o->json = optarg; return 0;
	case 'J': o->junit = optarg; return 0;
	case 'f':
		if (o->nnames == 16)
			return cli_usage_error("powercut", "too many --fixture", optarg);
		o->names[o->nnames++] = optarg;
		return 0;
	case 'n': return number("--states takes 2 to 100000", optarg, 2, 100000, &o->states);
	case 'w': return number("--settle takes 0 to 600 seconds", optarg, 0, 600, &o->settle);
	case 't': return number("--fork-timeout takes seconds", optarg, 1, 1000000, &o->timeout);
	case 'h': fputs(usage, stdout); return -1;
	default: return cli_bad_option("powercut", c, argv);
	}
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "fs", required_argument, NULL, 'F' },
		{ "fork-cmd", required_argument, NULL, 'c' },
		{ "durable", no_argument, NULL, 'd' },
		{ "fixture", required_argument, NULL, 'f' },
		{ "states", required_argument, NULL, 'n' },
		{ "settle", required_argument, NULL, 'w' },
		{ "scratch", required_argument, NULL, 'S' },
		{ "keep", required_argument, NULL, 'K' },
		{ "fork-timeout", required_argument, NULL, 't' },
		{ "json", required_argument, NULL, 'j' },
		{ "junit", required_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, r;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", lo, NULL)) != -1)
		if ((r = option(c, argv, o)) != 0)
			return r;
	if (optind != argc)
		return cli_usage_error("powercut", "unexpected argument", argv[optind]);
	if (o->fork_tmpl && !forkcmd_template_ok(o->fork_tmpl))
		return cli_usage_error("powercut",
				       "--fork-cmd needs bare {src} and {dst} (replaced by "
				       "shell-quoted paths: no quotes around them)",
				       NULL);
	if (o->durable && !o->fork_tmpl)
		return cli_usage_error("powercut",
				       "--durable goes with --fork-cmd (the library is run both ways)",
				       NULL);
	if (o->keep && access(o->keep, W_OK) != 0)
		return cli_error("powercut", o->keep, "--keep needs a writable directory", -errno),
		       EXIT_USAGE;
	if (o->scratch && access(o->scratch, W_OK) != 0)
		return cli_error("powercut", o->scratch, "--scratch needs a writable directory",
				 -errno),
		       EXIT_USAGE;
	return cli_reports_writable("powercut", o->junit, o->json) < 0 ? EXIT_USAGE : 0;
}

/* The forks to record: the library both ways, or the user's. */
struct mode {
	char name[40];
	char tmpl[PATH_MAX + 64];
	int durable;
	int copies; /* on xfs and btrfs only: the default reflinks, writes nothing back */
};

static size_t modes(const struct opts *o, struct mode *m)
{
	if (o->fork_tmpl) {
		snprintf(m[0].name, sizeof m[0].name, "%s", o->durable ? "fork-cmd (durable)" : "fork-cmd");
		snprintf(m[0].tmpl, sizeof m[0].tmpl, "%s", o->fork_tmpl);
		m[0].durable = o->durable;
		m[0].copies = 0;
		return 1;
	}
	char self[PATH_MAX];
	ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
	if (sl <= 0)
		return 0;
	self[sl] = '\0';
	char *q = child_sh_quote(self);
	snprintf(m[0].name, sizeof m[0].name, "library");
	snprintf(m[0].tmpl, sizeof m[0].tmpl, "%s fork {src} {dst} >/dev/null", q ? q : self);
	snprintf(m[1].name, sizeof m[1].name, "library --fsync");
	snprintf(m[1].tmpl, sizeof m[1].tmpl, "%s fork --fsync {src} {dst} >/dev/null", q ? q : self);
	/* xfs (reflink=1 by mkfs's default) and btrfs clone every file: the
	 * writeback of copied data is judged there with --method rw. */
	snprintf(m[2].name, sizeof m[2].name, "library --method rw");
	snprintf(m[2].tmpl, sizeof m[2].tmpl, "%s fork --method rw {src} {dst} >/dev/null",
		 q ? q : self);
	m[0].durable = m[2].durable = 0;
	m[1].durable = 1;
	m[0].copies = m[1].copies = 0;
	m[2].copies = 1;
	free(q);
	return 3;
}

static int finish(const struct opts *o, const struct power_row *w, size_t n, const char *setup)
{
	const char *explicit_setup = setup;
	char first[5200] = "";
	for (size_t i = 0; !setup && i < n && !first[0]; i++)
		if (w[i].r.error[0])
			snprintf(first, sizeof first, "%s %s: %s", w[i].fs, w[i].mode, w[i].r.error);
	if (first[0])
		setup = first;
	if (o->json && power_write_json(o->json, w, n, setup) < 0)
		cli_error("powercut", o->json, "cannot write the JSON report", -errno);
	if (o->junit && power_write_junit(o->junit, w, n, explicit_setup) < 0)
		cli_error("powercut", o->junit, "cannot write the JUnit report", -errno);
	if (child_interrupted())
		return 128 + child_interrupted();
	/* A row that could not be judged to its end outweighs a failure:
	 * what it did not judge may hide more. */
	int rc = setup ? EXIT_USAGE : EXIT_OK;
	for (size_t i = 0; i < n; i++)
		if (w[i].r.c3 == 1 || w[i].r.c4 == 1)
			rc = rc == EXIT_OK ? EXIT_FAIL : rc;
	for (size_t i = 0; i < n; i++)
		if (w[i].r.error[0])
			rc = EXIT_USAGE;
	printf("powercut: %s\n", rc == EXIT_OK	 ? "every state held (C3, C4)"
				 : rc == EXIT_FAIL ? "a state did not hold (each failing row is above)"
						   : "setup error (said above)");
	return rc;
}

/* Every filesystem x fork x fixture, printed as it ends. */
static size_t run_all(const struct opts *o, const struct mode *m, size_t nm,
		      const struct fixture *fx, size_t nfx, struct power_row *w)
{
	size_t n = 0;
	const char *scratch = cli_scratch_base(o->scratch);
	for (size_t f = 0; f < o->nfs; f++)
		for (size_t k = 0; k < nfx; k++)
			for (size_t i = 0; i < nm && !child_interrupted(); i++) {
				if (m[i].copies && !strcmp(o->fs[f], "ext4"))
					continue; /* no reflink: the default copies already */
				struct power_row *x = &w[n++];
				snprintf(x->fs, sizeof x->fs, "%s", o->fs[f]);
				snprintf(x->mode, sizeof x->mode, "%.39s", m[i].name);
				snprintf(x->fixture, sizeof x->fixture, "%s", fx[k].name);
				struct power_opts po = { o->fs[f],   m[i].name, m[i].tmpl,
							 m[i].durable, &fx[k],    scratch,
							 o->states,  o->settle, o->timeout,
							 o->keep };
				power_run(&po, &x->r);
				power_print_row(x);
				fflush(stdout);
			}
	return n;
}

int cmd_powercut(int argc, char **argv)
{
	char fs_default[] = "ext4,xfs,btrfs"; /* strtok_r writes into it */
	struct opts o = { .states = 40, .settle = 3 };
	fs_list(fs_default, &o);
	int p = parse(argc, argv, &o);
	if (p)
		return p < 0 ? EXIT_OK : p;
	struct mode m[3];
	size_t nm = modes(&o, m);
	if (!nm)
		return cli_error("powercut", "/proc/self/exe", "cannot find this binary", -errno),
		       EXIT_USAGE;
	const char *names[16] = { "qemu-cycles" };
	size_t nn = o.nnames ? o.nnames : 1;
	struct fixture fx[16];
	char err[1024];
	for (size_t i = 0; i < nn; i++)
		if (fixture_resolve(o.nnames ? o.names[i] : names[i], &fx[i], err, sizeof err) < 0) {
			fprintf(stderr, "snapfork powercut: %s\n", err);
			while (i > 0)
				fixture_free(&fx[--i]);
			return EXIT_USAGE;
		}
	char why[600];
	for (size_t i = 0; i < o.nfs; i++)
		if (power_available(o.fs[i], why, sizeof why) < 0) {
			fprintf(stderr, "snapfork powercut: cannot run here: %s\n", why);
			finish(&o, NULL, 0, why);
			for (size_t k = 0; k < nn; k++)
				fixture_free(&fx[k]);
			return EXIT_USAGE;
		}
	child_signals_install();
	int saved_stdout = cli_stdout_aside(o.junit, o.json); /* a report to "-": the table to stderr */
	printf("powercut: %zu filesystem(s) x %zu fork(s) x %zu fixture(s); at most %u states a "
	       "fork, %u s recorded after it returned\n",
	       o.nfs, nm, nn, o.states, o.settle);
	power_print_header();
	struct power_row *w = calloc(o.nfs * nm * nn, sizeof *w);
	if (!w)
		return cli_error("powercut", "-", "out of memory", -ENOMEM), EXIT_USAGE;
	size_t n = run_all(&o, m, nm, fx, nn, w);
	cli_stdout_back(&saved_stdout);
	int rc = finish(&o, w, n, NULL);
	free(w);
	for (size_t i = 0; i < nn; i++)
		fixture_free(&fx[i]);
	return rc;
}
