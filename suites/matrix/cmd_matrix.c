/* cmd_matrix.c - snapfork matrix: every property on real, fresh
 * filesystems, and the conditions that force each fallback, as root.
 * Each leg makes its filesystems, probes them, runs the conformance check
 * there and undoes what it made (mounts.c); see matrix.h for the parts. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "cli.h"
#include "commands.h"
#include "forkcmd.h"
#include "matrix.h"

static const char usage[] =
	"usage: snapfork matrix [--legs LIST] [--fork-cmd TEMPLATE] [--junit FILE] [--json FILE]\n"
	"                       [--fork-timeout S] [--exclude NAME]... [--artifacts DIR]\n"
	"  As root: make each leg's filesystems on fresh loop images or mounts, run the\n"
	"  conformance check there, print legs x rules, always unmount and detach.\n"
	"  --legs LIST       comma-separated, of: ext4 xfs-reflink xfs-noreflink btrfs\n"
	"                    tmpfs overlay (filesystems); xdev immutable\n"
	"                    protected-hardlinks link-limit enospc (forced fallbacks);\n"
	"                    default all\n"
	"  --fork-cmd T      the fork implementation, as for check (default: the library)\n"
	"  --fork-timeout S  a fork running longer is killed and fails its row (300)\n"
	"  --exclude NAME    leave a bundled fixture out on every leg (as for check)\n"
	"  --junit FILE, --json FILE  reports, one suite per leg (checked before the run)\n"
	"  --artifacts DIR   where a failed leg's log and trees go (default: artifacts/\n"
	"                    in the matrix's scratch under $TMPDIR, else /var/tmp, kept\n"
	"                    only when a leg fails)\n"
	"  Exit 0: every leg passed; 1: a MUST rule failed in one, or a leg is an\n"
	"  ERROR (it could not be made: a tool missing, named with its package);\n"
	"  2: usage or setup error (not root); 128+N: stopped by signal N,\n"
	"  children killed, everything undone.\n";

static int parse(int argc, char **argv, struct matrix_opts *o)
{
	static const struct option longopts[] = {
		{ "legs", required_argument, NULL, 'l' },
		{ "fork-cmd", required_argument, NULL, 'c' },
		{ "junit", required_argument, NULL, 'j' },
		{ "json", required_argument, NULL, 'J' },
		{ "artifacts", required_argument, NULL, 'a' },
		{ "fork-timeout", required_argument, NULL, 't' },
		{ "exclude", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			o->legs = optarg;
			break;
		case 'c':
			o->tmpl = optarg;
			break;
		case 'j':
			o->junit = optarg;
			break;
		case 'J':
			o->json = optarg;
			break;
		case 'a':
			o->artifacts = optarg;
			break;
		case 't': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (!*optarg || *end || v == 0 || v > 1000000)
				return cli_usage_error("matrix", "--fork-timeout takes seconds", optarg);
			o->fork_timeout = (unsigned)v;
			break;
		}
		case 'x':
			if (o->nexcl == sizeof o->excludes / sizeof *o->excludes)
				return cli_usage_error("matrix", "too many --exclude", optarg);
			o->excludes[o->nexcl++] = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return -1;
		default:
			return cli_bad_option("matrix", c, argv);
		}
	}
	if (optind != argc)
		return cli_usage_error("matrix", "unexpected argument", argv[optind]);
	if (o->tmpl && !forkcmd_template_ok(o->tmpl))
		return cli_usage_error("matrix", "--fork-cmd needs bare {src} and {dst} (replaced by shell-quoted paths: no quotes around them)", NULL);
	return 0;
}

/* The legs named in --legs (all without it), in table order. */
static size_t choose(const char *names, const struct leg **chosen)
{
	size_t n = 0;
	for (size_t i = 0; i < matrix_nlegs; i++) {
		char key[64], list[1024];
		snprintf(key, sizeof key, ",%s,", matrix_legs[i].name);
		snprintf(list, sizeof list, ",%s,", names ? names : "");
		if (!names || strstr(list, key))
			chosen[n++] = &matrix_legs[i];
	}
	return n;
}

/* Every leg in turn, everything it made undone after it. */
static int run_legs(struct matrix_opts *o, const struct leg **chosen, size_t n,
		    struct fixture *fx, size_t nfx, const char *work, struct leg_result *lr)
{
	int rc = EXIT_OK;
	for (size_t i = 0; i < n && !child_interrupted(); i++) {
		lr[i].leg = chosen[i];
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (matrix_run_leg(o, chosen[i], fx, nfx, work, &lr[i]) < 0 && !lr[i].error[0])
			snprintf(lr[i].error, sizeof lr[i].error, "setup failed");
		clock_gettime(CLOCK_MONOTONIC, &t1);
		lr[i].seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		matrix_progress(chosen[i]->name, lr[i].error[0] ? "ERROR: %s" : "done", lr[i].error);
		if (matrix_leg_failed(&lr[i]) && !child_interrupted()) {
			rc = EXIT_FAIL;
			matrix_save_artifacts(o, &lr[i]);
		}
		matrix_unmount_all();
		matrix_log_close();
	}
	return rc;
}

/* Our scratch: base/work for the legs, base/artifacts for what failed
 * legs leave when --artifacts is not given (never the working directory). */
static int make_base(struct matrix_opts *o, char *base, size_t len)
{
	const char *tmp = cli_scratch_base(NULL);
	/* The legs' shell commands put paths in '...' (mounts.c). */
	if (strchr(tmp, '\'') ||
	    (size_t)snprintf(base, len, "%s/snapfork-matrix.XXXXXX", tmp) >= len) {
		cli_error("matrix", tmp,
			  "TMPDIR: cannot hold the matrix's scratch (a quote, or too long)",
			  -EINVAL);
		return -1;
	}
	if (!mkdtemp(base)) {
		cli_error("matrix", base, "cannot create", -errno);
		return -1;
	}
	chmod(base, 0755);
	if (!o->artifacts) {
		snprintf(o->artifacts_default, sizeof o->artifacts_default, "%s/artifacts", base);
		o->artifacts = o->artifacts_default;
	}
	return 0;
}

/* The legs' work goes; default artifacts stay, and are named. */
static void drop_base(const struct matrix_opts *o, const char *base, const char *work)
{
	struct stat st;
	judge_remove_tree(work);
	if (o->artifacts == o->artifacts_default && stat(o->artifacts, &st) == 0)
		fprintf(stderr, "snapfork matrix: artifacts of the failed legs kept in %s\n",
			o->artifacts);
	else
		judge_remove_tree(base);
}

int cmd_matrix(int argc, char **argv)
{
	struct matrix_opts o = { 0 };
	int p = parse(argc, argv, &o);
	if (p != 0)
		return p < 0 ? EXIT_OK : p;
	if (cli_reports_writable("matrix", o.junit, o.json) < 0)
		return EXIT_USAGE;
	const struct leg *chosen[16];
	size_t nchosen = choose(o.legs, chosen);
	if (nchosen == 0)
		return cli_usage_error("matrix", "no such leg", o.legs);
	if (geteuid() != 0) {
		fprintf(stderr, "snapfork matrix: needs root: it makes loop devices, runs mkfs and "
				"mounts filesystems (the ordinary tests run without it)\n");
		return EXIT_USAGE;
	}
	static char self[PATH_MAX];
	ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
	self[sl > 0 ? sl : 0] = '\0';
	o.self = self;
	struct fixture *fx;
	size_t nfx;
	char err[1024], base[PATH_MAX], work[PATH_MAX + 8];
	if (fixture_list(&fx, &nfx, err, sizeof err) < 0) {
		fprintf(stderr, "snapfork matrix: %s\n", err);
		return EXIT_USAGE;
	}
	for (size_t x = 0; x < o.nexcl; x++)
		if (fixture_exclude(fx, &nfx, o.excludes[x]) < 0) {
			fprintf(stderr, "snapfork matrix: --exclude names no bundled fixture: %s (see "
					"snapfork fixture list)\n",
				o.excludes[x]);
			fixture_list_free(fx, nfx);
			return EXIT_USAGE;
		}
	if (make_base(&o, base, sizeof base) < 0) {
		fixture_list_free(fx, nfx);
		return EXIT_USAGE;
	}
	snprintf(work, sizeof work, "%s/work", base);
	mkdir(work, 0755);
	matrix_guard();
	int saved_stdout = cli_stdout_aside(o.junit, o.json);
	struct leg_result *lr = calloc(nchosen, sizeof *lr);
	int rc = lr ? run_legs(&o, chosen, nchosen, fx, nfx, work, lr) : EXIT_USAGE;
	if (child_interrupted()) {
		/* Children first: a mount still in use does not go. */
		child_stop_all();
		matrix_unmount_all();
		judge_remove_tree(base);
		fprintf(stderr, "snapfork matrix: stopped by signal %d (%s): every child killed, "
				"everything unmounted and detached, %s removed\n",
			child_interrupted(), strsignal(child_interrupted()), base);
		for (size_t i = 0; i < nchosen; i++)
			conform_run_free(&lr[i].run);
		free(lr);
		fixture_list_free(fx, nfx);
		return 128 + child_interrupted();
	}
	matrix_print_summary(lr, nchosen);
	cli_stdout_back(&saved_stdout);
	int w;
	if (o.junit && (w = matrix_write_junit(o.junit, lr, nchosen)) < 0) {
		cli_error("matrix", o.junit, "cannot write JUnit XML", w);
		rc = EXIT_USAGE;
	}
	if (o.json && (w = matrix_write_json(o.json, lr, nchosen)) < 0) {
		cli_error("matrix", o.json, "cannot write JSON", w);
		rc = EXIT_USAGE;
	}
	for (size_t i = 0; i < nchosen; i++)
		conform_run_free(&lr[i].run);
	free(lr);
	fixture_list_free(fx, nfx);
	drop_base(&o, base, work);
	return rc;
}
