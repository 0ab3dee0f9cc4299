/* commands.h - every subcommand of the snapfork binary, the one list the
 * dispatcher (main.c) runs from.  The fork-facing ones live in ref/cli;
 * the harness's in the part they belong to.  Each takes argv from the
 * command's own name on and returns the exit status. */
#ifndef SNAPFORK_COMMANDS_H
#define SNAPFORK_COMMANDS_H

/* ref/cli: the reference fork and what a VM manager uses beside it. */
int cmd_fork(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_unshare(int argc, char **argv);
int cmd_clean(int argc, char **argv);
/* fixtures/cli: list, extract and capture fixture snapshots. */
int cmd_fixture(int argc, char **argv);
/* suites/conform: the conformance check. */
int cmd_check(int argc, char **argv);
/* suites/matrix: the conformance check on each filesystem leg. */
int cmd_matrix(int argc, char **argv);
/* suites/vm: forks restored by a real hypervisor (QEMU). */
int cmd_vmcheck(int argc, char **argv);
/* suites/kernels: the check and the matrix on other kernels, and merging
 * JUnit files. */
int cmd_kernels(int argc, char **argv);
int cmd_junit_merge(int argc, char **argv);
/* suites/crash: a fork killed at every point where it changes a filesystem. */
int cmd_crash(int argc, char **argv);
/* suites/power: a fork cut off by a power loss at every flush. */
int cmd_powercut(int argc, char **argv);

#endif
