/* main.c - snapfork: fork, verify, probe and unshare VM snapshot directories. */
#include <stdio.h>
#include <unistd.h>
#include <string.h>
#include <sys/resource.h>

#include "cli.h"
#include "commands.h"

static const char usage[] =
	"usage: snapfork COMMAND [OPTIONS] ARGS\n"
	"\n"
	"Fork a paused VM's snapshot directory the right way, and check forks.\n"
	"\n"
	"commands (snapfork COMMAND --help describes each of its options):\n"
	"  fork SRC DST        fork snapshot SRC into the new directory DST: link the\n"
	"                      mem-file, copy the rest with its holes, publish at once\n"
	"  verify SRC DST      judge an existing fork against its snapshot\n"
	"  check               conformance check of a fork implementation (the library,\n"
	"                      or --fork-cmd TEMPLATE) on the bundled fixtures, or on\n"
	"                      --generate N layouts drawn from --seed S (--dimensions:\n"
	"                      what they are drawn from)\n"
	"  matrix              as root: the check on fresh ext4, xfs, btrfs, tmpfs and\n"
	"                      overlayfs, and under each forced fallback\n"
	"  vmcheck             QEMU restores forks of a real guest's snapshot, several\n"
	"                      at once; the rules and negative controls\n"
	"  kernels             the check and the matrix on other kernels under QEMU\n"
	"  crash               a fork killed at each point where it changes a\n"
	"                      filesystem (a sample past --points): DST absent or\n"
	"                      whole, nothing left behind\n"
	"  powercut            as root, with device-mapper: a fork's disk rebuilt at\n"
	"                      every flush a power cut could follow; DST absent or\n"
	"                      whole, durable once a --fsync fork returned\n"
	"  probe DIR           what the filesystem under DIR can do, by trying it\n"
	"  unshare FILE        give a hardlinked mem-file its own inode\n"
	"  clean DIR...        remove the staging that forks which died left in DIR\n"
	"  fixture list|extract|capture\n"
	"                      the bundled fixture snapshots; unpack one; make your own\n"
	"  junit-merge OUT IN...  every testsuite of the INs in one JUnit file\n"
	"\n"
	"  --help, --version   this text; the version (snapfork help CMD: CMD --help)\n"
	"\n"
	"exit status: 0 success; 1 the operation failed, a MUST rule failed, verify\n"
	"found violations, or standard output could not be written; 2 usage or setup\n"
	"error (a --json or --junit file that cannot be written is one; vmcheck: 3\n"
	"when the run cannot see: QEMU or the guest missing, a control not detected);\n"
	"check, matrix, vmcheck, kernels, crash, powercut: 128+N when stopped by\n"
	"signal N (every child killed, scratch removed, mounts and devices undone).\n"
	"The rules are in CONTRACT.md.\n";

/* Each directory level of a walk holds two fds; let deep trees use the
 * hard limit, as systemd does for its own tools. */
static void raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int, char **);
	} cmds[] = {
		{ "fork", cmd_fork },       { "verify", cmd_verify },   { "probe", cmd_probe },
		{ "unshare", cmd_unshare }, { "fixture", cmd_fixture }, { "check", cmd_check },
		{ "matrix", cmd_matrix },   { "vmcheck", cmd_vmcheck }, { "kernels", cmd_kernels },
		{ "junit-merge", cmd_junit_merge }, { "clean", cmd_clean }, { "crash", cmd_crash },
		{ "powercut", cmd_powercut },
	};
	if (argc < 2)
		return cli_usage_error(NULL, "missing command", NULL);
	/* "help" as git and apt take it: the top-level text, or a command's. */
	if (strcmp(argv[1], "help") == 0 && argc > 2) {
		static char *help_argv[4];
		help_argv[0] = argv[0];
		help_argv[1] = argv[2];
		help_argv[2] = "--help";
		argc = 3;
		argv = help_argv;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("snapfork %s\n", SNAPFORK_VERSION);
		return EXIT_OK;
	}
	raise_nofile();
	opterr = 0; /* each command says what is wrong in one line (cli_bad_option) */
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		if (strcmp(argv[1], cmds[i].name) != 0)
			continue;
		int rc = cmds[i].run(argc - 1, argv + 1);
		/* A report nobody got is a failure (snapfork fork --json >/dev/full):
		 * exit's own flush of stdout would lose the error. */
		int w = cli_fclose(stdout);
		if (w < 0) {
			cli_error(argv[1], "standard output", "cannot write", w);
			return rc ? rc : EXIT_FAIL;
		}
		return rc;
	}
	return cli_usage_error(NULL, "unknown command", argv[1]);
}
