/* main.c - snapfork: fork, verify, probe and unshare VM snapshot directories. */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "cli.h"
#include "commands.h"

static const char usage[] =
	"usage: snapfork COMMAND [OPTIONS] ARGS\n"
	"\n"
	"Fork a paused VM's snapshot directory the right way, and check forks.\n"
	"\n"
	"commands:\n"
	"  fork [--json] [--no-link] [--method auto|reflink|range|rw]\n"
	"       [--skip REL]... [--fsync] [--materialize] SRC DST\n"
	"                      fork snapshot SRC into the new directory DST\n"
	"  verify [--json] [--skip REL]... SRC DST\n"
	"                      check an existing fork against its snapshot\n"
	"  check [--fork-cmd TEMPLATE] [--scratch DIR] [--fork-dir DIR]\n"
	"        [--fixture NAME|FILE.tar]... [--junit FILE] [--json FILE] [--keep]\n"
	"                      conformance check of a fork implementation (default:\n"
	"                      the reference library) on the bundled fixtures\n"
	"  matrix [--legs LIST] [--fork-cmd TEMPLATE] [--junit FILE] [--artifacts DIR]\n"
	"                      as root: check on fresh ext4, xfs, btrfs, tmpfs, overlayfs\n"
	"                      and under each forced fallback\n"
	"  vmcheck [--fork-cmd TEMPLATE] [--forks N] [--kernel PATH --initrd PATH]\n"
	"          [--mem MIB] [--rounds LIST] [--junit FILE] [--json FILE] [--keep]\n"
	"                      QEMU restores forks of a real guest's snapshot, several\n"
	"                      at once; the rules and negative controls\n"
	"  kernels [--kernel host|PACKAGE|IMAGE]... [--legs LIST] [--list] [--only K:LEG]\n"
	"                      the check and the matrix on other kernels under QEMU\n"
	"  junit-merge OUT IN...  every testsuite of the INs in one JUnit file\n"
	"  probe [--json] DIR  what the filesystem under DIR can do, by trying it\n"
	"  unshare FILE        give a hardlinked mem-file its own inode\n"
	"  fixture list        the bundled fixture snapshots\n"
	"  fixture extract NAME|FILE.tar DIR\n"
	"                      unpack a fixture safely (holes, modes, sockets)\n"
	"  fixture capture [--anonymize] DIR FILE.tar\n"
	"                      turn a snapshot directory into a fixture\n"
	"\n"
	"  --help, --version\n"
	"\n"
	"exit status: 0 success, 1 the operation failed, verify found violations\n"
	"or the report could not be written, 2 usage error (vmcheck: 3 when the\n"
	"run cannot see: QEMU or the guest missing, a control not detected);\n"
	"check, matrix, vmcheck, kernels: 128+N when stopped by signal N (every\n"
	"child killed, scratch removed, mounts undone).\n"
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
		{ "junit-merge", cmd_junit_merge },
	};
	if (argc < 2)
		return cli_usage_error(NULL, "missing command", NULL);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("snapfork %s\n", SNAPFORK_VERSION);
		return EXIT_OK;
	}
	raise_nofile();
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
