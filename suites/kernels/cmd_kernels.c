/* cmd_kernels.c - `snapfork kernels`: options, the kernels to run (the
 * host and Debian's oldest and newest 6.1 and 6.12 builds and the -rt flavour by
 * default), one job per kernel x leg for CI matrices (--list, --only),
 * then the table and the reports (kernels.h). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child.h"
#include "fixture.h"
#include "cli.h"
#include "commands.h"
#include "forkcmd.h"
#include "judge.h"
#include "kernels.h"
#include "matrix.h"
#include "vm.h"
#include "where.h"

static const char usage[] =
	"usage: snapfork kernels [--kernel host|PACKAGE|IMAGE]... [--modules DIR] [--legs LIST]\n"
	"                        [--fork-cmd TEMPLATE [--fork-timeout S]] [--exclude NAME]...\n"
	"                        [--junit FILE] [--json FILE]\n"
	"                        [--list [--json FILE]] [--only KERNEL:LEG] [--job FILE] [--work "
	"DIR]\n"
	"                        [--mem MIB] [--accel auto|kvm|tcg] [--boot-timeout S]\n"
	"                        [--leg-timeout S] [--keep]\n"
	"  The conformance check and the filesystem matrix on each kernel: the host's\n"
	"  directly, others booted under QEMU, one leg at a time.\n"
	"  --kernel K        host, a Debian package (linux-image-..., fetched with\n"
	"                    apt-get download), or your own bzImage (with --modules);\n"
	"                    repeatable.  Default: host, the oldest and newest\n"
	"                    linux-image-6.1.0-*-amd64 and linux-image-6.12.*+deb12-amd64,\n"
	"                    and the newest -rt-amd64 (suites/vm/kernel.sh defaults)\n"
	"  --modules DIR     the lib/modules tree of your own IMAGE\n"
	"  --legs LIST       check, matrix legs (snapfork matrix --help) and\n"
	"                    powercut-ext4, -xfs, -btrfs (snapfork powercut --fs;\n"
	"                    powercut names all three; on the host only when named and\n"
	"                    /dev/mapper/control exists); default all\n"
	"  --fork-cmd T      the fork implementation, as for check (default: the library);\n"
	"                    in a guest it must find its programs there: --guest-file\n"
	"  --guest-file P    a file P (with the libraries ldd names) or directory\n"
	"                    copied into each guest at the same absolute path: your\n"
	"                    fork (repeatable, 16)\n"
	"  --durable         the --fork-cmd promises durability once it returned: the\n"
	"                    powercut legs judge C4 for it too\n"
	"  --fork-timeout S  for check, matrix and powercut (default 300 for check and\n"
	"                    matrix, half the leg's limit for powercut: set it below the\n"
	"                    leg's)\n"
	"  --exclude NAME    leave a bundled fixture out of check and every matrix leg\n"
	"                    (repeatable; e.g. the compressed ones, slow under TCG)\n"
	"  --junit FILE, --json FILE  reports, one suite per kernel and leg; - is stdout\n"
	"  --list            print the kernel x leg jobs (with --json: for a CI matrix)\n"
	"  --only K:LEG      run one of those jobs\n"
	"  --job FILE        run your script on each kernel instead (its exit status is\n"
	"                    the row; $D holds its results)\n"
	"  --work DIR        where kernels, guests and results go (default $TMPDIR, else "
	"/var/tmp)\n"
	"  --mem MIB         each guest's RAM (default 3072: the guest holds the scratch)\n"
	"  --accel A         auto (default): KVM when /dev/kvm opens read-write and the\n"
	"                    CPU has vmx/svm, else TCG, the reason printed; kvm\n"
	"                    (refused without it) or tcg\n"
	"  --boot-timeout S  limit to the kernel's first console line (default 180)\n"
	"  --leg-timeout S   limit to each leg or job (default 180)\n"
	"  --keep            keep the work directory (kept and named anyway when a kernel\n"
	"                    or leg failed)\n"
	"  Exit 0: every leg of every kernel passed; 1: a MUST rule failed or a kernel\n"
	"  or leg is an ERROR; 2: usage; 128+N: stopped by signal N (every QEMU and job\n"
	"  stopped, the work directory removed unless --keep).\n";

static int number(const char *s, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (*end || !*s || v == 0 || v > 1000000)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int option(int c, struct kern_opts *o)
{
	switch (c) {
	case 'k':
		if (o->nkernels == KERN_MAX)
			return cli_usage_error("kernels", "too many --kernel", optarg);
		o->kernels[o->nkernels++] = optarg;
		o->explicit_kernels = 1;
		return 0;
	case 'M': o->modules = optarg; return 0;
	case 'l': o->legs = optarg; return 0;
	case 'c': o->tmpl = optarg; return 0;
	case 'j': o->junit = optarg; return 0;
	case 'J': o->json = optarg; return 0;
	case 'L': o->list = 1; return 0;
	case 'o': o->only = optarg; return 0;
	case 'b': o->job = optarg; return 0;
	case 'w': o->work = optarg; return 0;
	case 'K': o->keep = 1; return 0;
	case 'd': o->durable = 1; return 0;
	case 'g':
		if (o->nguest == sizeof o->guest_files / sizeof *o->guest_files)
			return cli_usage_error("kernels", "too many --guest-file (16)", optarg);
		if (optarg[0] != '/')
			return cli_usage_error("kernels",
					       "--guest-file takes an absolute path (the guest "
					       "has it at the same one)",
					       optarg);
		o->guest_files[o->nguest++] = optarg;
		return 0;
	case 'a':
		if (strcmp(optarg, "auto") && strcmp(optarg, "kvm") && strcmp(optarg, "tcg"))
			return cli_usage_error("kernels", "--accel takes auto, kvm or tcg", optarg);
		o->accel_want = optarg;
		return 0;
	case 'x':
		if (o->nexcl == sizeof o->excludes / sizeof *o->excludes)
			return cli_usage_error("kernels", "too many --exclude", optarg);
		o->excludes[o->nexcl++] = optarg;
		return 0;
	case 'm': return number(optarg, &o->mem_mib) ? cli_usage_error("kernels", "--mem takes MiB", optarg) : 0;
	case 't': return number(optarg, &o->boot_timeout) ? cli_usage_error("kernels", "--boot-timeout takes seconds", optarg) : 0;
	case 'T': return number(optarg, &o->leg_timeout) ? cli_usage_error("kernels", "--leg-timeout takes seconds from 1 to 1000000", optarg) : 0;
	case 'F': return number(optarg, &o->fork_timeout) ? cli_usage_error("kernels", "--fork-timeout takes seconds from 1 to 1000000", optarg) : 0;
	case 'h': fputs(usage, stdout); return -1;
	default: return cli_usage_error("kernels", "unknown option", NULL);
	}
}

static int parse(int argc, char **argv, struct kern_opts *o)
{
	static const struct option longopts[] = {
		{ "kernel", required_argument, NULL, 'k' },  { "modules", required_argument, NULL, 'M' },
		{ "legs", required_argument, NULL, 'l' },    { "fork-cmd", required_argument, NULL, 'c' },
		{ "junit", required_argument, NULL, 'j' },   { "json", required_argument, NULL, 'J' },
		{ "list", no_argument, NULL, 'L' },          { "only", required_argument, NULL, 'o' },
		{ "job", required_argument, NULL, 'b' },     { "work", required_argument, NULL, 'w' },
		{ "keep", no_argument, NULL, 'K' },          { "mem", required_argument, NULL, 'm' },
		{ "accel", required_argument, NULL, 'a' },
		{ "guest-file", required_argument, NULL, 'g' },
		{ "durable", no_argument, NULL, 'd' },
		{ "boot-timeout", required_argument, NULL, 't' },
		{ "leg-timeout", required_argument, NULL, 'T' },
		{ "fork-timeout", required_argument, NULL, 'F' },
		{ "exclude", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },          { NULL, 0, NULL, 0 },
	};
	int c, r;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1)
		if ((r = c == '?' || c == ':' ? cli_bad_option("kernels", c, argv) : option(c, o)))
			return r;
	if (optind != argc)
		return cli_usage_error("kernels", "unexpected argument", argv[optind]);
	if (o->fork_timeout && !o->tmpl)
		return cli_usage_error("kernels", "--fork-timeout goes with --fork-cmd", NULL);
	if (o->tmpl && !forkcmd_template_ok(o->tmpl))
		return cli_usage_error("kernels", "--fork-cmd needs bare {src} and {dst} (replaced by shell-quoted paths: no quotes around them)", o->tmpl);
	if (o->only) {
		const char *colon = strrchr(o->only, ':');
		if (!colon || colon == o->only || !colon[1])
			return cli_usage_error("kernels", "--only takes KERNEL:LEG", o->only);
		snprintf(o->only_kernel, sizeof o->only_kernel, "%.*s", (int)(colon - o->only), o->only);
		snprintf(o->only_leg, sizeof o->only_leg, "%s", colon + 1);
		/* one it does not know would run no leg, and pass */
		if (!kern_leg_known(o->only_leg, strlen(o->only_leg)) ||
		    !strcmp(o->only_leg, "powercut"))
			return cli_usage_error(
				"kernels", "--only names no leg (check, a matrix leg, powercut-FS)",
				o->only);
	}
	if (kern_check_inputs(o) != 0)
		return EXIT_USAGE;
	for (const char *p = o->legs; p && *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
		if (!kern_leg_known(p, strcspn(p, ",")))
			return cli_usage_error("kernels", "unknown leg in --legs", o->legs);
	}
	return 0;
}

/* Default kernels: the host and suites/vm/kernel.sh defaults (apt-cache,
 * seconds; a minute is its limit). */
static int defaults(struct kern_opts *o, char store[KERN_MAX][160])
{
	o->kernels[o->nkernels++] = "host";
	char script[4096];
	where_script("kernel.sh", script, sizeof script);
	char *argv[] = { script, "defaults", NULL };
	/* stdout only: a warning on stderr is no kernel name. */
	struct child_spec cs = { .argv = argv, .out = CHILD_OUT_PIPE, .err = CHILD_OUT_NULL };
	struct child c;
	char out[2048];
	size_t have = 0;
	int r = child_start(&c, &cs);
	if (r == 0 && (r = child_collect(&c, child_deadline_ms(60000), out, sizeof out, &have)) < 0)
		child_stop(&c);
	if (r == 0 && child_exit_code(&c) != 0)
		r = -EIO;
	for (char *line = out, *nl; r == 0 && o->nkernels < KERN_MAX && *line; line = nl + 1) {
		nl = line + strcspn(line, "\n");
		snprintf(store[o->nkernels], 160, "%.*s", (int)(nl - line), line);
		if (store[o->nkernels][0]) {
			o->kernels[o->nkernels] = store[o->nkernels];
			o->nkernels++;
		}
		if (!*nl)
			break;
	}
	if (r != 0) {
		fprintf(stderr, "snapfork kernels: cannot list Debian's 6.1 kernels "
				"(suites/vm/kernel.sh defaults failed: apt-get update?): %s\n",
			have ? out : strerror(-r));
		return -1;
	}
	return 0;
}

/* --list: one job per kernel x leg, as text or JSON for a CI matrix. */
static int list_jobs(const struct kern_opts *o)
{
	json_t *a = json_array();
	for (size_t i = 0; i < o->nkernels; i++) {
		const char *legs[KERN_MAX_LEGS];
		size_t n = kern_jobs(o, o->kernels[i], legs, KERN_MAX_LEGS);
		for (size_t l = 0; l < n; l++) {
			char id[400];
			snprintf(id, sizeof id, "%s:%s", o->kernels[i], legs[l]);
			if (!o->json)
				printf("%s\n", id);
			json_array_append_new(a, json_pack("{s:s,s:s,s:s}", "kernel", o->kernels[i], "leg",
							   legs[l], "only", id));
		}
	}
	int rc = 0;
	if (o->json && strcmp(o->json, "-") == 0) {
		char *s = json_dumps(a, JSON_COMPACT);
		printf("%s\n", s ? s : "[]");
		free(s);
	} else if (o->json) {
		rc = json_dump_file(a, o->json, JSON_INDENT(2)) == 0 ? 0 : -EIO;
	}
	json_decref(a);
	return rc < 0 ? EXIT_FAIL : EXIT_OK;
}

static void run_one(const struct kern_opts *o, const char *self, const char *work, size_t i,
		    struct kern_result *r)
{
	const char *spec = o->kernels[i];
	snprintf(r->label, sizeof r->label, "%s", spec);
	char name[64];
	snprintf(name, sizeof name, "%s", strrchr(spec, '/') ? strrchr(spec, '/') + 1 : spec);
	snprintf(r->dir, sizeof r->dir, "%.3900s/%zu-%s", work, i + 1, name);
	if (mkdir(r->dir, 0755) < 0) {
		snprintf(r->error, sizeof r->error, "%s: %s", r->dir, strerror(errno));
		return;
	}
	fprintf(stderr, "kernels: %s ...\n", spec);
	int64_t t0 = child_now_ms();
	if (strcmp(spec, "host") == 0)
		kern_run_host(o, self, r);
	else
		kern_run_guest(o, self, spec, r);
	r->seconds = (double)(child_now_ms() - t0) / 1000;
	if (!o->job && !r->error[0] && r->nlegs == 0)
		snprintf(r->error, sizeof r->error, "no leg ran (see %s)", r->dir);
	if (o->job && !r->error[0] && r->job_rc != 0)
		snprintf(r->error, sizeof r->error, "the job exited %d (see %s/job.log)", r->job_rc,
			 r->dir);
	fprintf(stderr, "kernels: %s: %s in %.0f s\n", spec, r->error[0] ? "ERROR" : "done",
		r->seconds);
}

static int reports(const struct kern_opts *o, const struct kern_result *r, size_t n)
{
	int rc = kern_failed(r, n) ? EXIT_FAIL : EXIT_OK, w;
	if (o->junit && (w = kern_write_junit(o->junit, r, n)) < 0) {
		cli_error("kernels", o->junit, "cannot write JUnit XML", w);
		rc = EXIT_USAGE;
	}
	if (o->json && (w = kern_write_json(o->json, r, n)) < 0) {
		cli_error("kernels", o->json, "cannot write JSON", w);
		rc = EXIT_USAGE;
	}
	return rc;
}

int cmd_kernels(int argc, char **argv)
{
	struct kern_opts o = { .mem_mib = 3072, .boot_timeout = 180, .leg_timeout = 180,
			       .qemu = "qemu-system-x86_64" };
	static char store[KERN_MAX][160], cache[4096];
	where_cache("kernel-cache", cache, sizeof cache);
	o.cache = cache;
	int rc = parse(argc, argv, &o);
	if (rc != 0)
		return rc < 0 ? EXIT_OK : rc;
	if (cli_reports_writable("kernels", o.junit, o.json) < 0)
		return EXIT_USAGE;
	if (!o.explicit_kernels && defaults(&o, store) < 0)
		return EXIT_FAIL;
	if (o.list)
		return list_jobs(&o);
	if (vm_accel_choose(o.accel_want, &o.accel, o.accel_why, sizeof o.accel_why) < 0) {
		fprintf(stderr, "snapfork kernels: %s\n", o.accel_why);
		return EXIT_USAGE;
	}
	char self[PATH_MAX], work[PATH_MAX];
	ssize_t k = readlink("/proc/self/exe", self, sizeof self - 1);
	if (k <= 0) {
		cli_error("kernels", "/proc/self/exe", "cannot find this binary", -errno);
		return EXIT_FAIL;
	}
	self[k] = '\0';
	snprintf(work, sizeof work, "%s/snapfork-kernels-XXXXXX", cli_scratch_base(o.work));
	if (!mkdtemp(work)) {
		cli_error("kernels", work, "cannot create the work directory", -errno);
		return EXIT_FAIL;
	}
	child_signals_install();
	int saved_stdout = cli_stdout_aside(o.junit, o.json);
	printf("kernels: guests run under %s (%s)\n", !strcmp(o.accel, "kvm") ? "KVM" : "TCG",
	       o.accel_why);
	struct kern_result *r = calloc(o.nkernels, sizeof *r);
	size_t n = 0;
	for (size_t i = 0; r && i < o.nkernels && !child_interrupted(); i++)
		if (!o.only || strcmp(o.kernels[i], o.only_kernel) == 0)
			run_one(&o, self, work, i, &r[n++]);
	child_stop_all();
	if (!r || child_interrupted()) {
		fprintf(stderr, "snapfork kernels: stopped by signal %d (%s): every child killed%s\n",
			child_interrupted(), strsignal(child_interrupted()),
			o.keep ? "" : ", the work directory removed");
		rc = r ? 128 + child_interrupted() : EXIT_FAIL;
	} else if (n == 0) {
		fprintf(stderr, "snapfork kernels: --only %s names no kernel given\n", o.only);
		rc = EXIT_USAGE;
	} else {
		kern_print_table(r, n);
		cli_stdout_back(&saved_stdout);
		rc = reports(&o, r, n);
	}
	/* A failure's logs (job.log, LEG.txt, console.log) are what the
	 * errors point at: kept, like check's failing rows. */
	if (o.keep || (rc == EXIT_FAIL && !child_interrupted()))
		/* stderr: with --json - or --junit - stdout is the report. */
		fprintf(stderr, "kept: %s%s\n", work,
		        o.keep ? "" : " (a kernel or leg failed: its logs are there; rm -rf it when done)");
	else
		judge_remove_tree(work);
	free(r);
	return rc;
}
