/* cmd_fork.c - snapfork fork: run the library, print its report. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "json.h"
#include "report.h"

int cmd_fork(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "no-link", no_argument, NULL, 'n' },
		{ "method", required_argument, NULL, 'm' },
		{ "skip", required_argument, NULL, 's' },
		{ "fsync", no_argument, NULL, 'f' },
		{ "materialize", no_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct snapfork_options opt = SNAPFORK_OPTIONS_INIT;
	const char **skip = calloc((size_t)argc + 1, sizeof *skip);
	size_t nskip = 0;
	int json = 0, c;
	if (!skip)
		return EXIT_FAIL;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'n':
			opt.flags |= SNAPFORK_NO_LINK;
			break;
		case 'f':
			opt.flags |= SNAPFORK_FSYNC;
			break;
		case 'M':
			opt.flags |= SNAPFORK_MATERIALIZE;
			break;
		case 's':
			skip[nskip++] = optarg;
			break;
		case 'm':
			if (snapfork_method_parse(optarg, &opt.method) < 0) {
				free(skip);
				return cli_usage_error(
					"fork", "unknown --method (auto, reflink, range, rw)",
					optarg);
			}
			break;
		case 'h':
			free(skip);
			printf("usage: snapfork fork [--json] [--no-link] [--method "
			       "auto|reflink|range|rw]\n"
			       "                     [--skip REL]... [--fsync] [--materialize] SRC "
			       "DST\n");
			return EXIT_OK;
		default:
			free(skip);
			return cli_usage_error("fork", "bad option", NULL);
		}
	}
	if (argc - optind != 2) {
		free(skip);
		return cli_usage_error("fork", "need SRC and DST", NULL);
	}
	opt.skip = skip;
	const char *src = argv[optind], *dst = argv[optind + 1];
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	int r = snapfork_fork(src, dst, &opt, &rep);
	free(skip);
	if (json) {
		struct jw j;
		jw_init(&j, stdout);
		report_json(&j, src, dst, &rep);
		jw_finish(&j);
	} else if (r == 0) {
		report_text(stdout, src, dst, &rep);
	}
	if (r < 0) {
		char path[8192];
		report_error_path(&rep, src, dst, path, sizeof path);
		cli_error("fork", path, rep.error_reason, r);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
