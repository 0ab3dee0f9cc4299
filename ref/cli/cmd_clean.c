/* cmd_clean.c - snapfork clean DIR...: remove the staging that forks which
 * died left there (snapfork_clean; CONTRACT.md, Crashes). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

static const char usage[] =
	"usage: snapfork clean [--] DIR...\n"
	"  Remove from each DIR the staging directories (.NAME.snapfork-PID-RANDOM)\n"
	"  of forks that died (killed, or the machine went down); a running fork's\n"
	"  staging is left alone (it holds a lock on it).  Each fork does the same\n"
	"  in its DST's parent before it starts: this is for the parents no fork\n"
	"  goes to again, e.g. after a crash.\n"
	"  Exit 0: every dead fork's staging removed (or none found); 1: DIR could\n"
	"  not be read or one could not be removed; 2: usage.\n";

static void say(void *arg, const char *name, int what)
{
	char path[PATH_MAX + NAME_MAX + 2];
	snprintf(path, sizeof path, "%s/%s", (const char *)arg, name);
	if (what == 0)
		printf("%s: removed (a dead fork's staging)\n", path);
	else if (what == 1)
		printf("%s: left alone (its lock is held: a running fork; or a shared "
		       "filesystem, where locks are per machine)\n",
		       path);
	else
		cli_error("clean", path, "cannot remove this dead fork's staging", what);
}

int cmd_clean(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	if (argc < 2)
		return cli_usage_error("clean", "need at least one DIR", NULL);
	int first = 1;
	if (strcmp(argv[1], "--") == 0) /* DIRs that start with '-' */
		first = 2;
	else
		for (int i = 1; i < argc; i++)
			if (argv[i][0] == '-')
				return cli_usage_error("clean", "unknown option", argv[i]);
	if (first >= argc)
		return cli_usage_error("clean", "need at least one DIR", NULL);
	int rc = EXIT_OK;
	for (int i = first; i < argc; i++) {
		struct snapfork_clean c = SNAPFORK_CLEAN_INIT;
		c.each = say;
		c.arg = argv[i];
		int r = snapfork_clean(argv[i], &c);
		if (r < 0 && c.failed == 0) { /* DIR itself */
			cli_error("clean", argv[i], "cannot read the directory", r);
			rc = EXIT_FAIL;
			continue;
		}
		rc = r < 0 ? EXIT_FAIL : rc;
		printf("%s: %u removed, %u left alone (running)%s\n", argv[i], c.removed, c.live,
		       c.failed ? ", some could not be removed" : "");
	}
	return rc;
}
