/* test_cli_faults.c - the snapfork command's own error paths, by failing
 * its calls (inject_cli.c): a leg of the matrix whose mkfs, mount, chattr,
 * sysctl, link or fallocate fails is an ERROR naming the cause, exit 1,
 * and leaves nothing mounted, attached or on disk; a check whose fork
 * command cannot be started says why; report files that cannot be written
 * are an error.  Each run is a child process (the commands keep state in
 * statics, and the matrix unmounts at exit). */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "inject.h"
#include "testtree.h"

struct outcome {
	int rc;
	char out[1 << 16], err[1 << 16];
};

static char *scratch;
/* Under scratch: the matrix's --artifacts and the check cases' --scratch. */
static char artifacts[4200], check_dir[4200];

static void slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, len - 1, f) : 0;
	buf[n] = '\0';
	if (f)
		fclose(f);
}

/* cmd(argv) in a child with plan armed and env ("NAME=value", or NULL)
 * set; its stdout and stderr kept. */
static void run_env(const char *env, const struct inj_plan *plan, int (*cmd)(int, char **),
		    const char *const *args, struct outcome *o)
{
	char out[4200], err[4200];
	snprintf(out, sizeof out, "%s/stdout", scratch);
	snprintf(err, sizeof err, "%s/stderr", scratch);
	char *argv[32];
	int argc = 0;
	for (; args[argc]; argc++)
		argv[argc] = (char *)args[argc];
	argv[argc] = NULL;
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fo, 1);
		dup2(fe, 2);
		if (env)
			putenv((char *)env);
		if (plan)
			inj_arm(plan);
		int rc = cmd(argc, argv);
		inj_disarm();
		exit(rc); /* the matrix unmounts in its atexit handler */
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	o->rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	slurp(out, o->out, sizeof o->out);
	slurp(err, o->err, sizeof o->err);
}

static void run(const struct inj_plan *plan, int (*cmd)(int, char **), const char *const *args,
		struct outcome *o)
{
	run_env(NULL, plan, cmd, args, o);
}

static void expect(const struct outcome *o, int rc, const char *text)
{
	if (getenv("SHOW")) /* SHOW=1: each run's output, for debugging */
		fprintf(stderr, "--- exit %d\n%s%s", o->rc, o->out, o->err);
	if (o->rc != rc || (text && !strstr(o->out, text) && !strstr(o->err, text)))
		fail_msg("want exit %d and \"%s\"; got exit %d\nstdout:\n%s\nstderr:\n%s", rc,
			 text ? text : "", o->rc, o->out, o->err);
}

/* ---- the matrix (root: loop devices, mkfs, mounts) ---- */

static int protected_hardlinks(void)
{
	int v = -1;
	FILE *f = fopen("/proc/sys/fs/protected_hardlinks", "r");
	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static int file_has(const char *path, const char *needle)
{
	static char buf[1 << 18];
	slurp(path, buf, sizeof buf);
	return strstr(buf, needle) != NULL;
}

/* A path in the tree the matrix makes (it is always under /var/tmp): the
 * short names in the plans must not match the checkout's own path. */
#define MATRIX_TREE "/var/tmp/snapfork-matrix."

/* Nothing of the matrix's is left: mounts, loop devices, scratch. */
static void matrix_left_nothing(int sysctl_before)
{
	if (file_has("/proc/self/mountinfo", "snapfork-matrix"))
		fail_msg("a snapfork-matrix mount is left");
	glob_t g;
	if (glob("/sys/block/loop*/loop/backing_file", 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++)
			if (file_has(g.gl_pathv[i], "snapfork-matrix"))
				fail_msg("a loop device is left attached: %s", g.gl_pathv[i]);
		globfree(&g);
	}
	if (glob(MATRIX_TREE "*", 0, NULL, &g) == 0) {
		globfree(&g);
		fail_msg("the matrix scratch is left in /var/tmp");
	}
	assert_int_equal(protected_hardlinks(), sysctl_before);
}

/* The matrix cases make ext4 and xfs (the xdev leg) on loop images. */
static void need_root(void)
{
	if (!tt_is_root())
		skip(); /* reason printed by main() */
	static const char *const tools[] = { "mkfs.ext4", "mkfs.xfs" };
	for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++) {
		char cmd[128];
		snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", tools[i]);
		if (system(cmd) != 0) {
			print_message("skip: %s is not installed; the matrix cases need it\n",
				      tools[i]);
			skip();
		}
	}
}

/* snapfork matrix --legs LEGS with plan armed; then nothing may be left. */
static void matrix_run(const struct inj_plan *plan, const char *legs, struct outcome *o)
{
	const char *args[] = { "matrix", "--legs", legs, "--artifacts", artifacts, NULL };
	int before = protected_hardlinks();
	run(plan, cmd_matrix, args, o);
	matrix_left_nothing(before);
	tt_rm_rf(artifacts);
}

static void matrix_case(const struct inj_plan *plan, const char *legs, int rc, const char *text)
{
	static struct outcome o;
	matrix_run(plan, legs, &o);
	if (plan && !strstr(o.out, "ERROR") && rc != 0)
		fail_msg("%s: the injected %s failure did not make an ERROR:\n%s\n%s", legs,
			 inj_name(plan->call), o.out, o.err);
	expect(&o, rc, text);
}

#define PLAN(c, e) (&(struct inj_plan){ .call = (c), .nth = 1, .err = (e) })
#define PLAN_AT(c, e, at)                                                                          \
	(&(struct inj_plan){ .call = (c), .nth = 1, .err = (e), .path_has = (at) })
#define PLAN_IN(c, e, at)                                                                          \
	(&(struct inj_plan){                                                                       \
		.call = (c), .nth = 1, .err = (e), .path_has = (at), .path_under = MATRIX_TREE })

static void t_matrix_make_fs(void **state)
{
	(void)state;
	need_root();
	matrix_case(PLAN(INJ_MOUNT, EPERM), "tmpfs", 1,
		    "ERROR: mount -t tmpfs -o size=2g,mode=0755: Operation not permitted");
	matrix_case(PLAN_IN(INJ_MKDIR, EACCES, "/tmpfs/a"), "tmpfs", 1,
		    "/tmpfs/a: Permission denied");
	matrix_case(PLAN_AT(INJ_SYSTEM, EIO, "truncate -s"), "ext4", 1,
		    "ERROR: mkfs.ext4 -q -F failed (see the leg's log)");
	matrix_case(PLAN_AT(INJ_SYSTEM, EIO, "mount -o loop"), "ext4", 1,
		    "ERROR: mounting the ext4 image failed");
	matrix_case(PLAN_AT(INJ_SYSTEM, EIO, "mkfs.xfs -q -f '"), "xdev", 1,
		    "ERROR: mkfs.xfs -q -f failed");
}

static void t_matrix_conditions(void **state)
{
	(void)state;
	need_root();
	matrix_case((&(struct inj_plan){ .call = INJ_IOCTL,
					 .nth = 1,
					 .err = EOPNOTSUPP,
					 .ioctl_req = FS_IOC_SETFLAGS }),
		    "immutable", 1, "chattr +i: Operation not supported");
	matrix_case(PLAN_AT(INJ_FOPEN, EACCES, "protected_hardlinks"), "protected-hardlinks", 1,
		    "ERROR: cannot set fs.protected_hardlinks: Permission denied");
	matrix_case(PLAN_AT(INJ_SYSTEM, EIO, "chown -R"), "protected-hardlinks", 1,
		    "chown to the unprivileged user failed");
	matrix_case(PLAN(INJ_CHOWN, EPERM), "protected-hardlinks", 1, "Operation not permitted");
	matrix_case(PLAN(INJ_PATHCONF, EINVAL), "link-limit", 1,
		    "ERROR: the filesystem's link limit is unknown");
	matrix_case(PLAN_IN(INJ_MKDIR, EDQUOT, "/links"), "link-limit", 1, "Disk quota exceeded");
	matrix_case(PLAN(INJ_LINK, EMLINK), "link-limit", 1, "link number");
	matrix_case(PLAN_IN(INJ_MKDIR, ENOSPC, "lower0"), "overlay", 1,
		    "lower0: No space left on device");
	matrix_case(PLAN(INJ_MOUNT, ENODEV), "overlay", 1, "mount -t overlay -o lowerdir=");
	matrix_case(PLAN_IN(INJ_OPEN, ENOSPC, "filler"), "enospc", 1,
		    "filler: No space left on device");
	matrix_case(PLAN(INJ_FALLOCATE, EFBIG), "enospc", 1, "fallocate: File too large");
}

/* The same, for calls whose count before the one that matters varies:
 * fail the 1st, 2nd, ... until the leg reports text (each run must leave
 * nothing either way). */
static void matrix_until(struct inj_plan plan, const char *legs, const char *text)
{
	static struct outcome o;
	for (plan.nth = 1; plan.nth < 64; plan.nth++) {
		matrix_run(&plan, legs, &o);
		if (strstr(o.out, text))
			return;
	}
	fail_msg("%s: no run printed \"%s\"; the last:\n%s\n%s", legs, text, o.out, o.err);
}

static void t_matrix_more_conditions(void **state)
{
	(void)state;
	need_root();
	matrix_case(PLAN_IN(INJ_MKDIR, EACCES, "/tmpfs/a/mnt"), "tmpfs", 1,
		    "/tmpfs/a: Permission denied");
	matrix_case(
		(&(struct inj_plan){
			.call = INJ_IOCTL, .nth = 1, .err = ENOTTY, .ioctl_req = FS_IOC_GETFLAGS }),
		"immutable", 1, "chattr +i: Inappropriate ioctl for device");
	matrix_case(PLAN_IN(INJ_OPEN, EACCES, "/memory"), "immutable", 1,
		    "chattr +i: Permission denied");
	matrix_case(PLAN_IN(INJ_CHMOD, EPERM, "/memory"), "protected-hardlinks", 1,
		    "Operation not permitted");
	matrix_case(PLAN_IN(INJ_STAT, EIO, "/memory"), "link-limit", 1, "Input/output error");
	matrix_case(PLAN_IN(INJ_MKDIR, EROFS, "upper0"), "overlay", 1, "Read-only file system");
	matrix_case(PLAN_IN(INJ_MKDIR, EROFS, "work0"), "overlay", 1, "Read-only file system");
	matrix_until((struct inj_plan){ .call = INJ_FCLOSE, .err = EIO }, "protected-hardlinks",
		     "ERROR: cannot set fs.protected_hardlinks: Input/output error");
}

/* A mount that will not go at once is detached: the leg still passes
 * and nothing is left. */
static void t_matrix_busy_unmount(void **state)
{
	(void)state;
	need_root();
	matrix_case(PLAN(INJ_UMOUNT2, EBUSY), "tmpfs", 0, "matrix: 1 legs");
	matrix_case(PLAN(INJ_UMOUNT2, EBUSY), "overlay", 0, "matrix: 1 legs");
}

static void t_matrix_setup(void **state)
{
	(void)state;
	static struct outcome o;
	const char *legs[] = { "matrix", "--legs", "tmpfs", NULL };
	run(PLAN(INJ_GETEUID, EPERM), cmd_matrix, legs, &o);
	expect(&o, EXIT_USAGE, "needs root");
	need_root();
	int before = protected_hardlinks();
	run(PLAN(INJ_MKDTEMP, EROFS), cmd_matrix, legs, &o);
	expect(&o, EXIT_USAGE, "cannot create (Read-only file system)");
	matrix_left_nothing(before);
	const char *junit[] = { "matrix",    "--legs",      "tmpfs",   "--junit",
				"/dev/full", "--artifacts", artifacts, NULL };
	run(PLAN(INJ_MOUNT, EPERM), cmd_matrix, junit, &o);
	expect(&o, EXIT_USAGE, "/dev/full: cannot write JUnit XML (No space left on device)");
	matrix_left_nothing(before);
	junit[4] = "/nonexistent/m.xml";
	run(PLAN(INJ_MOUNT, EPERM), cmd_matrix, junit, &o);
	expect(&o, EXIT_USAGE, "/nonexistent/m.xml: --junit: cannot write the report there (No such file");
	matrix_left_nothing(before);
	run_env("SNAPFORK_FIXTURES=/nonexistent", NULL, cmd_matrix, legs, &o);
	expect(&o, EXIT_USAGE, "/nonexistent: cannot read the fixture directory");
	matrix_left_nothing(before);
}

/* SIGTERM in the middle of a leg (here: as it mounts): the handler
 * unmounts, removes the scratch and dies by the signal. */
static void term_now(void *arg)
{
	(void)arg;
	raise(SIGTERM);
}

static void t_matrix_signal(void **state)
{
	(void)state;
	need_root();
	int before = protected_hardlinks();
	static struct outcome o;
	const char *legs[] = { "matrix", "--legs", "overlay", NULL };
	struct inj_plan p = { .call = INJ_MOUNT, .nth = 1, .hook = term_now };
	run(&p, cmd_matrix, legs, &o);
	expect(&o, 128 + SIGTERM, NULL);
	matrix_left_nothing(before);
}

/* ---- the check's command runner and report files ---- */

static void fresh_check_dir(void)
{
	tt_rm_rf(check_dir);
	mkdir(check_dir, 0755);
}

static void check_case(const struct inj_plan *plan, const char *tmpl, const char *text)
{
	fresh_check_dir();
	const char *args[] = { "check",   "--fixture",  "ch-raw", "--scratch",
			       check_dir, "--fork-cmd", tmpl,     NULL };
	static struct outcome o;
	run(plan, cmd_check, args, &o);
	expect(&o, EXIT_FAIL, text);
}

static void t_check_runner(void **state)
{
	(void)state;
	check_case(PLAN(INJ_PIPE, EMFILE), "cp -a {src} {dst}",
		   "cannot run the fork command: Too many open files");
	check_case(PLAN(INJ_FORK, EAGAIN), "cp -a {src} {dst}",
		   "cannot run the fork command: Resource temporarily unavailable");

	/* A quote and a space in the path reach the command intact: it finds
	 * {src} and says so by its exit status. */
	char dir[4200];
	snprintf(dir, sizeof dir, "%s/it's here", scratch);
	mkdir(dir, 0755);
	const char *tmpl = "test -d {src} && exit 7; exit 1 {dst}";
	const char *args[] = { "check", "--fixture",  "ch-raw", "--scratch",
			       dir,     "--fork-cmd", tmpl,     NULL };
	static struct outcome o;
	run(NULL, cmd_check, args, &o);
	expect(&o, EXIT_FAIL, "exit 7");
	tt_rm_rf(dir);
}

static void t_check_scratch(void **state)
{
	(void)state;
	static struct outcome o;
	const char *args[] = { "check", "--fixture", "ch-raw", NULL };
	run(PLAN(INJ_MKDTEMP, EROFS), cmd_check, args, &o);
	expect(&o, EXIT_USAGE, "cannot create the scratch directory (Read-only file system)");
	/* The default scratch goes under $TMPDIR and is removed after. */
	char tmpdir[4200];
	snprintf(tmpdir, sizeof tmpdir, "TMPDIR=%s", scratch);
	run_env(tmpdir, NULL, cmd_check, args, &o);
	expect(&o, EXIT_OK, NULL);
	assert_int_equal(tt_count_named(scratch, "snapfork-check."), 0);
}

/* A report file whose close fails (NFS reports write errors there):
 * fail the 1st, 2nd, ... fclose until it is the JSON report's. */
static void t_check_report_close(void **state)
{
	(void)state;
	char json[4300];
	snprintf(json, sizeof json, "%s/report.json", scratch);
	const char *args[] = { "check",   "--fixture", "qemu-stopped", "--scratch",
			       check_dir, "--json",    json,           NULL };
	static struct outcome o;
	for (unsigned n = 1; n < 256; n++) {
		fresh_check_dir();
		struct inj_plan p = { .call = INJ_FCLOSE, .nth = n, .err = EIO };
		run(&p, cmd_check, args, &o);
		if (strstr(o.err, "cannot write JSON"))
			break;
	}
	expect(&o, EXIT_USAGE, "report.json: cannot write JSON (Input/output error)");
}

static int setup(void **state)
{
	(void)state;
	scratch = tt_scratch("cli-faults");
	snprintf(artifacts, sizeof artifacts, "%s/artifacts", scratch);
	snprintf(check_dir, sizeof check_dir, "%s/check", scratch);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tt_rm_rf(scratch);
	free(scratch);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_matrix_make_fs),      cmocka_unit_test(t_matrix_conditions),
		cmocka_unit_test(t_matrix_busy_unmount), cmocka_unit_test(t_matrix_more_conditions),
		cmocka_unit_test(t_matrix_setup),        cmocka_unit_test(t_matrix_signal),
		cmocka_unit_test(t_check_runner),        cmocka_unit_test(t_check_scratch),
		cmocka_unit_test(t_check_report_close),
	};
	if (!tt_is_root())
		printf("skip: the matrix cases need root (loop devices, mkfs, mount); the check "
		       "cases run\n");
	return cmocka_run_group_tests(tests, setup, teardown);
}
