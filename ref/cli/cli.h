/* cli.h - what every subcommand shares: exit codes, error lines, byte
 * counts, report files.  Used by the harness's commands too. */
#ifndef SNAPFORK_CLI_H
#define SNAPFORK_CLI_H

#include <stdio.h>

#include "snapfork.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* "snapfork CMD: PATH: REASON (strerror)" on stderr, one line; err is
 * an errno, negative or not, never 0. */
void cli_error(const char *cmd, const char *path, const char *reason, int err);
/* A usage error: message plus a pointer to --help; returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *msg, const char *arg);
/* getopt_long returned c ('?' or ':': every optstring starts with ':',
 * opterr is 0): one line naming the option and the command's help;
 * returns EXIT_USAGE. */
int cli_bad_option(const char *cmd, int c, char *const argv[]);
/* Human form of a byte count, e.g. "1.0 GiB". */
const char *cli_bytes(uint64_t n, char *buf, unsigned len);
/* fclose that also reports earlier failed writes: 0 or -errno. */
int cli_fclose(FILE *f);
/* A report file: "-" is stdout (closed as a flush), anything else is
 * made anew.  NULL with errno set. */
FILE *cli_report_open(const char *path);
/* 0 if a report can be written at path ("-", an existing writable file,
 * or a new name in a writable directory), else -errno: checked before a
 * run, not after it. */
int cli_report_writable(const char *path);
/* --junit and --json of cmd (either may be NULL) checked before a run: 0,
 * or -1 after one line naming the option, the path and why (the caller
 * exits EXIT_USAGE).  Both "-" is refused. */
int cli_reports_writable(const char *cmd, const char *junit, const char *json);
/* A report on stdout ("-" as junit or json): what the run prints goes to
 * stderr until the report is written.  The saved stdout, or -1;
 * cli_stdout_back restores it (before the report is written). */
int cli_stdout_aside(const char *junit, const char *json);
void cli_stdout_back(int *saved);
/* Where a command makes its scratch: given (--scratch, --work) if set,
 * else $TMPDIR if set and not empty, else /var/tmp (big and not a tmpfs
 * on most machines: mem-files are gigabytes of apparent size). */
const char *cli_scratch_base(const char *given);
/* Write coverage counts now (coverage builds; see cli.c). */
void cli_coverage_flush(void);

#endif
