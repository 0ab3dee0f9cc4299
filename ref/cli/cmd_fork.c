/* cmd_fork.c - snapfork fork: run the library, print its report. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "json.h"
#include "report.h"

static const char usage[] =
	"usage: snapfork fork [--json] [--no-link] [--method auto|reflink|range|rw]\n"
	"                     [--skip REL]... [--fsync | --no-writeback] [--materialize]\n"
	"                     SRC DST\n"
	"  Fork the snapshot directory SRC into DST, which must not exist: hardlink the\n"
	"  raw mem-file, copy everything else with its holes, leave out what CONTRACT.md\n"
	"  skips (logs/, sockets, *.lz4.tmp, *.zst.tmp), refuse FIFOs and devices.  The\n"
	"  fork is built beside DST and renamed into place: complete or not at all.\n"
	"  Prints how the mem-file got there (via link, or the fallback and its errno).\n"
	"  --json           the report as JSON on stdout\n"
	"  --no-link        copy the mem-file instead of hardlinking it\n"
	"  --method M       how files are copied: auto (reflink, then copy_file_range,\n"
	"                   then read/write, per file; the default) or only that one\n"
	"  --skip REL       also leave out SRC/REL and all below it (repeatable)\n"
	"  By default each copied file's data is written back to the disk before DST\n"
	"  appears (no flush): a power cut, even after fork returned, leaves DST\n"
	"  absent or whole, but it may be absent although fork returned 0.  A manager\n"
	"  that records the fork as created when fork returns wants --fsync.\n"
	"  --fsync          flush every file and directory before DST appears, and DST's\n"
	"                   parent after: DST survives a power cut once fork returned\n"
	"                   (4-6x the default's time on ext4: bench/README.md)\n"
	"  --no-writeback   publish without writing copies back (about half the\n"
	"                   default's time where data is copied): a power cut can leave\n"
	"                   DST with files of zeros; for forks that need not survive one\n"
	"  --materialize    for a compressed-only snapshot, first decompress the\n"
	"                   mem-file INTO SRC (SRC is changed: one decompression for\n"
	"                   all later forks, which then link it)\n"
	"  Exit 0: forked; 1: the fork failed (DST not made); 2: usage.\n";

/* Options into opt (skip: argv's strings, in a list sized for argc);
 * 0 to fork, -1 after --help, else the exit status of a usage error. */
static int parse(int argc, char **argv, struct snapfork_options *opt, const char **skip,
		 int *json)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "no-link", no_argument, NULL, 'n' },
		{ "method", required_argument, NULL, 'm' },
		{ "skip", required_argument, NULL, 's' },
		{ "fsync", no_argument, NULL, 'f' },
		{ "no-writeback", no_argument, NULL, 'W' },
		{ "materialize", no_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	size_t nskip = 0;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			*json = 1;
			break;
		case 'n':
			opt->flags |= SNAPFORK_NO_LINK;
			break;
		case 'f':
			opt->flags |= SNAPFORK_FSYNC;
			break;
		case 'M':
			opt->flags |= SNAPFORK_MATERIALIZE;
			break;
		case 'W':
			opt->flags |= SNAPFORK_NO_WRITEBACK;
			break;
		case 's':
			skip[nskip++] = optarg;
			break;
		case 'm':
			if (snapfork_method_parse(optarg, &opt->method) < 0)
				return cli_usage_error(
					"fork", "unknown --method (auto, reflink, range, rw)", optarg);
			break;
		case 'h':
			fputs(usage, stdout);
			return -1;
		default:
			return cli_bad_option("fork", c, argv);
		}
	}
	if (argc - optind != 2)
		return cli_usage_error("fork", "need SRC and DST", NULL);
	if ((opt->flags & SNAPFORK_FSYNC) && (opt->flags & SNAPFORK_NO_WRITEBACK))
		return cli_usage_error("fork",
				       "--fsync and --no-writeback contradict each other (--fsync "
				       "flushes every file; --no-writeback writes none back)",
				       NULL);
	opt->skip = skip;
	return 0;
}

int cmd_fork(int argc, char **argv)
{
	struct snapfork_options opt = SNAPFORK_OPTIONS_INIT;
	const char **skip = calloc((size_t)argc + 1, sizeof *skip);
	int json = 0;
	if (!skip)
		return EXIT_FAIL;
	int p = parse(argc, argv, &opt, skip, &json);
	if (p != 0) {
		free(skip);
		return p < 0 ? EXIT_OK : p;
	}
	const char *src = argv[optind], *dst = argv[optind + 1];
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	int r = snapfork_fork(src, dst, &opt, &rep);
	free(skip);
	if (json)
		cli_json_print(stdout, report_json(src, dst, &rep));
	else if (r == 0)
		report_text(stdout, src, dst, &rep);
	if (r < 0) {
		char path[8192];
		report_error_path(&rep, src, dst, path, sizeof path);
		cli_error("fork", path, rep.error_reason, r);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
