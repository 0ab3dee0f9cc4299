/* cmd_verify.c - snapfork verify: the harness's checker (suites/judge) on
 * an existing fork.  The CLI is the one place ref/ and suites/ meet. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "judge.h"
#include "cli.h"
#include "commands.h"
#include "json.h"

static void print_json(const char *src, const char *dst, const struct judge_result *res)
{
	struct jw j;
	jw_init(&j, stdout);
	jw_object_begin(&j, NULL);
	jw_string(&j, "src", src);
	jw_string(&j, "dst", dst);
	jw_bool(&j, "ok", res->failed == 0);
	jw_array_begin(&j, "rules");
	for (int rule = 1; rule <= 13; rule++) {
		if (!(res->checked & (1u << rule)))
			continue;
		char id[8];
		snprintf(id, sizeof id, "F%d", rule);
		jw_object_begin(&j, NULL);
		jw_string(&j, "rule", id);
		jw_string(&j, "level", judge_rule_is_should(rule) ? "SHOULD" : "MUST");
		jw_string(&j, "title", judge_rule_title(rule));
		jw_string(&j, "result", res->failed & (1u << rule) ? "fail" : "pass");
		jw_object_end(&j);
	}
	jw_array_end(&j);
	jw_array_begin(&j, "violations");
	for (size_t i = 0; i < res->n; i++) {
		jw_object_begin(&j, NULL);
		jw_string(&j, "rule", res->v[i].rule);
		jw_string(&j, "path", res->v[i].path);
		jw_string(&j, "what", res->v[i].what);
		jw_object_end(&j);
	}
	jw_array_end(&j);
	jw_object_end(&j);
	jw_finish(&j);
}

static void print_text(const char *src, const char *dst, const struct judge_result *res)
{
	for (size_t i = 0; i < res->n; i++)
		printf("%s FAIL %s: %s\n", res->v[i].rule, res->v[i].path, res->v[i].what);
	for (int rule = 1; rule <= 13; rule++)
		if (res->checked & (1u << rule))
			printf("F%-2d %-6s %-4s %s\n", rule,
			       judge_rule_is_should(rule) ? "SHOULD" : "MUST",
			       res->failed & (1u << rule) ? "FAIL" : "pass", judge_rule_title(rule));
	printf("%s: %s against %s (%zu violation%s)\n", res->failed ? "FAIL" : "ok", dst, src,
	       res->n, res->n == 1 ? "" : "s");
}

int cmd_verify(int argc, char **argv)
{
	static const struct option longopts[] = { { "json", no_argument, NULL, 'j' },
						  { "skip", required_argument, NULL, 's' },
						  { "help", no_argument, NULL, 'h' },
						  { NULL, 0, NULL, 0 } };
	const char **skip = calloc((size_t)argc + 1, sizeof *skip);
	size_t nskip = 0;
	int json = 0, c;
	if (!skip)
		return EXIT_FAIL;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'j') {
			json = 1;
		} else if (c == 's') {
			skip[nskip++] = optarg;
		} else if (c == 'h') {
			printf("usage: snapfork verify [--json] [--skip REL]... SRC DST\n");
			free(skip);
			return EXIT_OK;
		} else {
			free(skip);
			return cli_usage_error("verify", "bad option", NULL);
		}
	}
	if (argc - optind != 2) {
		free(skip);
		return cli_usage_error("verify", "need SRC and DST", NULL);
	}
	const char *src = argv[optind], *dst = argv[optind + 1];
	struct judge_verify_opts o = { .skip = skip };
	struct judge_result res = { 0 };
	char err[512];
	int r = judge_verify(src, dst, &o, &res, err, sizeof err);
	free(skip);
	if (r < 0) {
		fprintf(stderr, "snapfork verify: %s\n", err);
		judge_result_free(&res);
		return EXIT_FAIL;
	}
	if (json)
		print_json(src, dst, &res);
	else
		print_text(src, dst, &res);
	int failed = 0;
	for (int rule = 1; rule <= 13; rule++)
		if ((res.failed & (1u << rule)) && !judge_rule_is_should(rule))
			failed = 1;
	judge_result_free(&res);
	return failed ? EXIT_FAIL : EXIT_OK;
}
