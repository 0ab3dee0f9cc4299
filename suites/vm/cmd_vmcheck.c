/* cmd_vmcheck.c - `snapfork vmcheck`: boot a template guest under QEMU
 * (TCG), save it as a VM manager's snapshot, fork it with the library or
 * a command, restore the forks at once and judge (vmcheck.h).  Rounds:
 * the mem-file linked, copied (forks on another filesystem) and a
 * compressed-only snapshot; then the negative controls, every run. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "forkcmd.h"
#include "judge.h"
#include "vmcheck.h"

struct opts {
	const char *tmpl, *kernel, *initrd, *junit, *json, *work, *copy_dir, *qemu, *rounds, *accel;
	unsigned forks, mem;
	int keep;
};

static const char usage[] =
	"usage: snapfork vmcheck [--fork-cmd TEMPLATE] [--forks N] [--kernel PATH --initrd PATH]\n"
	"                        [--mem MIB] [--rounds link,copy,compressed] [--work DIR]\n"
	"                        [--fork-dir DIR] [--qemu PATH] [--accel auto|kvm|tcg]\n"
	"                        [--junit FILE] [--json FILE] [--keep]\n"
	"  QEMU boots a small guest whose RAM is a snapshot's mem-file, the\n"
	"  snapshot is forked several times, and every fork is restored and run at\n"
	"  once: each resumes where the template stopped, keeps its own memory, and\n"
	"  survives the snapshot's deletion (suites/vm/README.md: the rules).\n"
	"  Negative controls (sabotaged forks) must be caught, or the run exits 3.\n"
	"  --fork-cmd T    the fork implementation ({src} {dst}; default: the library)\n"
	"  --forks N       forks restored at once per round (1-8, default 2)\n"
	"  --kernel, --initrd  the guest (default: made on first use into the cache,\n"
	"                  $SNAPFORK_CACHE, else the build tree, else /var/cache/\n"
	"                  snapfork for root, $XDG_CACHE_HOME/snapfork or ~/.cache/\n"
	"                  snapfork for others: vm-guest there)\n"
	"  --mem MIB       guest RAM, the mem-file's size (default 256)\n"
	"  --rounds LIST   of link, copy (forks on another filesystem), compressed\n"
	"                  (only memory.zst); default all\n"
	"  --work DIR      where snapshots and forks go (default $TMPDIR, else /var/tmp)\n"
	"  --fork-dir DIR  another filesystem for the copy round (default /dev/shm)\n"
	"  --qemu PATH     the QEMU binary (default qemu-system-x86_64)\n"
	"  --accel A       auto (default): KVM when /dev/kvm opens read-write and the\n"
	"                  CPU has vmx/svm, else TCG, the reason printed; kvm\n"
	"                  (refused without it), tcg\n"
	"  --junit FILE, --json FILE  reports (checked before the run)\n"
	"  --keep          keep the work directory\n"
	"  Exit 0: every rule holds; 1: one fails; 2: usage; 3: the run cannot see\n"
	"  (QEMU or the guest missing, a control not caught); 128+N: signal N.\n";

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "fork-cmd", required_argument, NULL, 'c' }, { "forks", required_argument, NULL, 'n' },
		{ "kernel", required_argument, NULL, 'k' },   { "initrd", required_argument, NULL, 'i' },
		{ "mem", required_argument, NULL, 'm' },      { "rounds", required_argument, NULL, 'r' },
		{ "work", required_argument, NULL, 'w' },     { "fork-dir", required_argument, NULL, 'd' },
		{ "qemu", required_argument, NULL, 'q' },     { "junit", required_argument, NULL, 'j' },
		{ "json", required_argument, NULL, 'J' },     { "keep", no_argument, NULL, 'K' },
		{ "accel", required_argument, NULL, 'a' },    { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	char *end;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->tmpl = optarg; break;
		case 'k': o->kernel = optarg; break;
		case 'i': o->initrd = optarg; break;
		case 'r': o->rounds = optarg; break;
		case 'w': o->work = optarg; break;
		case 'd': o->copy_dir = optarg; break;
		case 'q': o->qemu = optarg; break;
		case 'a': o->accel = optarg; break;
		case 'j': o->junit = optarg; break;
		case 'J': o->json = optarg; break;
		case 'K': o->keep = 1; break;
		case 'n':
		case 'm': {
			unsigned long v = strtoul(optarg, &end, 10);
			if (*end || !*optarg || v == 0 || (c == 'n' && v > VM_MAX_FORKS) || v > 65536)
				return cli_usage_error("vmcheck", c == 'n' ? "--forks takes 1 to 8"
									  : "--mem takes MiB",
						       optarg);
			*(c == 'n' ? &o->forks : &o->mem) = (unsigned)v;
			break;
		}
		case 'h': fputs(usage, stdout); return -1;
		default: return cli_bad_option("vmcheck", c, argv);
		}
	}
	if (optind != argc)
		return cli_usage_error("vmcheck", "unexpected argument", argv[optind]);
	if (o->tmpl && !forkcmd_template_ok(o->tmpl))
		return cli_usage_error("vmcheck", "--fork-cmd needs bare {src} and {dst} (replaced by shell-quoted paths: no quotes around them)", o->tmpl);
	if (!o->kernel != !o->initrd)
		return cli_usage_error("vmcheck", "--kernel and --initrd go together", NULL);
	if (o->accel && strcmp(o->accel, "auto") && strcmp(o->accel, "kvm") && strcmp(o->accel, "tcg"))
		return cli_usage_error("vmcheck", "--accel takes auto, kvm or tcg", o->accel);
	return 0;
}

static int wants(const struct opts *o, const char *round)
{
	if (!o->rounds)
		return 1;
	size_t n = strlen(round);
	for (const char *p = o->rounds; *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
		if (strncmp(p, round, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return 1;
	}
	return 0;
}

struct plan {
	const char *name, *what;
	int compressed, copy, expect;
	struct vm_sabotage sab;
};

static const struct plan plans[] = {
	{ "compressed", "compressed-only snapshot (memory.zst): the fork must write a raw mem-file",
	  1, 0, -1, { 0, NULL } },
	{ "copy", "forks on another filesystem: the mem-file is a copy", 0, 1, -1, { 0, NULL } },
	{ "link", "snapshot and forks on one filesystem: the mem-file is linked", 0, 0, -1,
	  { 0, NULL } },
	{ "control:truncated", "a fork whose mem-file is half the RAM size must not resume", 0, 0,
	  VR_RESUME, { 0, vm_spoil_truncate } },
	{ "control:foreign-state",
	  "a fork with the state of another boot of the guest must not resume", 0, 0, VR_RESUME,
	  { 0, vm_spoil_foreign } },
	{ "control:map-shared",
	  "a fork restored share=on (MAP_SHARED) writes into the snapshot's mem-file", 0, 0,
	  VR_INTACT, { 1, NULL } },
};
#define NPLANS (sizeof plans / sizeof plans[0])

/* Each row's own snapshot, derived from the template's before any round
 * deletes one. */
static int derive_all(const struct vm_cfg *c, const struct vm_snap tmpl[2], struct vm_snap *s,
		      char *err, size_t len)
{
	for (size_t i = 0; i < NPLANS; i++) {
		s[i] = (struct vm_snap){ "", VM_MEM_REL, plans[i].compressed ? VM_ZST_REL : NULL,
					 VM_STATE_REL };
		snprintf(s[i].dir, sizeof s[i].dir, "%s/snap-%zu", c->work, i + 1);
		int r = vm_snap_derive(&tmpl[plans[i].expect >= 0], &s[i], err, len);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The copy round's forks: --fork-dir, else /dev/shm when that is another
 * filesystem than the work directory.  "" (and why) when there is none. */
static void copy_place(const struct opts *o, const char *work, char *out, size_t len,
		       char *why, size_t wlen)
{
	const char *base = o->copy_dir ? o->copy_dir : "/dev/shm";
	struct stat a, b;
	out[0] = '\0';
	if (stat(work, &a) < 0 || stat(base, &b) < 0) {
		snprintf(why, wlen, "%s: %s", base, strerror(errno));
		return;
	}
	if (a.st_dev == b.st_dev) {
		snprintf(why, wlen, "%s is on the work directory's filesystem: give --fork-dir on "
				    "another one", base);
		return;
	}
	/* Each copy can hold all of the guest's RAM (a container's /dev/shm
	 * is often 64 MiB): not enough room is a skip with the reason, not
	 * a fork implementation's ENOSPC. */
	struct statvfs v;
	unsigned long long need = (unsigned long long)o->forks * o->mem << 20;
	if (statvfs(base, &v) == 0 && (unsigned long long)v.f_bavail * v.f_frsize < need) {
		snprintf(why, wlen, "%s has %llu MiB free, the copies may need %llu: give --fork-dir",
			 base, (unsigned long long)v.f_bavail * v.f_frsize >> 20, need >> 20);
		return;
	}
	snprintf(out, len, "%s/snapfork-vmcheck-XXXXXX", base);
	if (!mkdtemp(out)) {
		snprintf(why, wlen, "%s: %s", out, strerror(errno));
		out[0] = '\0';
	}
}

static void run_rows(const struct opts *o, const struct vm_cfg *c, const struct vm_snap *s,
		     struct vm_run *run)
{
	char copy[4200], why[4400] = "", forks[4400];
	copy_place(o, c->work, copy, sizeof copy, why, sizeof why);
	struct vm_cfg ref = *c;
	ref.fork = conform_fork_ref; /* a control sabotages a known-good fork */
	for (size_t i = 0; i < NPLANS && !child_interrupted(); i++) {
		const struct plan *p = &plans[i];
		if (p->expect < 0 && !wants(o, p->name))
			continue;
		struct vm_row *row = &run->rows[run->n++];
		snprintf(row->name, sizeof row->name, "%s", p->name);
		snprintf(row->what, sizeof row->what, "%s", p->what);
		row->expect = p->expect;
		if (p->copy && !copy[0]) {
			for (int r = 0; r < VR_N; r++)
				vm_cell(row, r, CONFORM_SKIP, "no second filesystem: %s", why);
			continue;
		}
		snprintf(forks, sizeof forks, "%s/forks-%s", p->copy ? copy : c->work,
			 p->expect < 0 ? p->name : p->name + 8);
		fprintf(stderr, "vmcheck: %s ...\n", row->name);
		vm_round(p->expect < 0 ? c : &ref, &run->t[p->expect >= 0], &s[i], forks,
			 p->expect < 0 && !p->sab.share && !p->sab.spoil ? NULL : &p->sab, row);
		if (!o->keep)
			judge_remove_tree(forks);
	}
	if (copy[0] && !o->keep)
		judge_remove_tree(copy);
}

static int verdict(const struct vm_run *run)
{
	int failed = 0, blind = 0;
	for (size_t i = 0; i < run->n; i++) {
		failed |= run->rows[i].expect < 0 && vm_row_failed(&run->rows[i]);
		blind |= run->rows[i].expect >= 0 && !vm_row_detected(&run->rows[i]);
	}
	if (blind)
		printf("\nsnapfork vmcheck: a negative control was NOT DETECTED: this run cannot "
		       "see what it checks (exit 3)\n");
	else if (failed)
		printf("\nsnapfork vmcheck: FAIL: a fork failed a rule (exit 1)\n");
	else
		printf("\nsnapfork vmcheck: PASS, every control detected\n");
	return blind ? 3 : failed ? EXIT_FAIL : EXIT_OK;
}

static int reports(const struct opts *o, struct vm_run *run, int rc)
{
	int w;
	if (o->junit && (w = vm_write_junit(run, o->junit)) < 0) {
		cli_error("vmcheck", o->junit, "cannot write JUnit XML", w);
		rc = EXIT_USAGE;
	}
	if (o->json && (w = vm_write_json(run, o->json)) < 0) {
		cli_error("vmcheck", o->json, "cannot write JSON", w);
		rc = EXIT_USAGE;
	}
	return rc;
}

static int make_work(const struct opts *o, char *work, size_t len)
{
	snprintf(work, len, "%s/snapfork-vmcheck-XXXXXX", cli_scratch_base(o->work));
	if (mkdtemp(work))
		return 0;
	cli_error("vmcheck", work, "cannot create the work directory", -errno);
	return -1;
}

static int check(const struct opts *o, struct vm_cfg *c, struct vm_run *run)
{
	struct vm_snap tmpl[2] = { { "", VM_MEM_REL, NULL, VM_STATE_REL },
				   { "", VM_MEM_REL, NULL, VM_STATE_REL } },
		       s[NPLANS];
	snprintf(tmpl[0].dir, sizeof tmpl[0].dir, "%s/template", c->work);
	snprintf(tmpl[1].dir, sizeof tmpl[1].dir, "%s/control-template", c->work);
	const char *const dirs[2] = { tmpl[0].dir, tmpl[1].dir };
	char err[1200];
	fprintf(stderr, "vmcheck: booting the templates ...\n");
	if (vm_templates_make(c, dirs, run->t, run->setup_error, sizeof run->setup_error) < 0)
		return -1;
	if (derive_all(c, tmpl, s, err, sizeof err) < 0) {
		snprintf(run->setup_error, sizeof run->setup_error, "%s", err);
		return -1;
	}
	run_rows(o, c, s, run);
	return 0;
}

int cmd_vmcheck(int argc, char **argv)
{
	struct opts o = { .forks = 2, .mem = 256 };
	int rc = parse(argc, argv, &o);
	if (rc != 0)
		return rc < 0 ? EXIT_OK : rc;
	if (cli_reports_writable("vmcheck", o.junit, o.json) < 0)
		return EXIT_USAGE;
	struct vm_run *run = calloc(1, sizeof *run);
	struct forkcmd fc = { .tmpl = o.tmpl };
	char kpath[4096], ipath[4096], work[4096] = "";
	struct vm_cfg c = { { NULL, NULL, NULL, o.mem, NULL }, o.forks, work, NULL,
			    o.tmpl ? forkcmd_run : conform_fork_ref, &fc, o.keep, 120000, 15000 };
	struct utsname u;
	if (!run)
		return EXIT_FAIL;
	if (vm_accel_choose(o.accel, &run->accel, run->accel_why, sizeof run->accel_why) < 0) {
		fprintf(stderr, "snapfork vmcheck: %s\n", run->accel_why);
		free(run);
		return EXIT_USAGE;
	}
	c.guest.accel = run->accel;
	child_signals_install();
	int saved_stdout = cli_stdout_aside(o.junit, o.json);
	run->fork_desc = o.tmpl ? o.tmpl : "reference library (libsnapfork " SNAPFORK_VERSION ")";
	if (uname(&u) == 0)
		snprintf(run->kernel, sizeof run->kernel, "%s %s", u.sysname, u.release);
	int64_t t0 = child_now_ms();
	rc = vm_find_guest(o.kernel, o.initrd, o.qemu, &c, run, kpath, ipath, sizeof kpath) < 0 ? 3 : 0;
	if (rc == 0 && make_work(&o, work, sizeof work) < 0)
		rc = EXIT_FAIL;
	if (rc == 0) {
		printf("snapfork vmcheck: %s\n  %s, %s (%s), %u MiB; guest %s; %u forks per "
		       "round; host %s\n\n",
		       run->fork_desc, run->qemu_version, !strcmp(run->accel, "kvm") ? "KVM" : "TCG",
		       run->accel_why, o.mem, run->kernel_desc, o.forks, run->kernel);
		fflush(stdout);
		rc = check(&o, &c, run) < 0 ? 3 : 0;
	}
	child_stop_all();
	run->wall_ms = (double)(child_now_ms() - t0);
	if (run->setup_error[0])
		fprintf(stderr, "snapfork vmcheck: ERROR: %s\n", run->setup_error);
	else if (rc == 0 && !child_interrupted()) {
		vm_print_table(stdout, run);
		rc = verdict(run);
	}
	cli_stdout_back(&saved_stdout);
	rc = reports(&o, run, rc);
	if (work[0] && !o.keep)
		judge_remove_tree(work);
	else if (work[0])
		fprintf(stderr, "kept: %s\n", work); /* stdout may be the report */
	for (size_t i = 0; i < run->n; i++)
		vm_row_free(&run->rows[i]);
	free(run);
	if (child_interrupted()) {
		fprintf(stderr, "snapfork vmcheck: interrupted; every QEMU was stopped\n");
		return 128 + child_interrupted();
	}
	return rc;
}
