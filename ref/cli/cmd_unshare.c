/* cmd_unshare.c - snapfork unshare FILE. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

int cmd_unshare(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		printf("usage: snapfork unshare FILE\n"
		       "  If FILE has more than one link, replace it by a private copy (a\n"
		       "  fork's mem-file that must stop sharing the snapshot's inode)\n"
		       "  Exit 0: unshared, or not shared; 1: it failed; 2: usage.\n");
		return EXIT_OK;
	}
	if (argc == 2 && argv[1][0] == '-')
		return cli_usage_error("unshare", "unknown option", argv[1]);
	if (argc != 2)
		return cli_usage_error("unshare", "need exactly one FILE", NULL);
	int unshared = 0;
	int r = snapfork_unshare_at(AT_FDCWD, argv[1], &unshared);
	if (r < 0) {
		cli_error("unshare", argv[1],
			  r == -EINVAL ? "not a regular file" : "cannot unshare", r);
		return EXIT_FAIL;
	}
	printf("%s: %s\n", argv[1],
	       unshared ? "unshared (now its own inode)" : "not shared (one link), left as is");
	return EXIT_OK;
}
