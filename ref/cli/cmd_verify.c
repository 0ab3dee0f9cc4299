/* cmd_verify.c - snapfork verify: the harness's checker (suites/judge) on
 * an existing fork.  The CLI is the one place ref/ and suites/ meet. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "judge.h"
#include "cli.h"
#include "commands.h"
#include "json.h"

static json_t *rules_json(const struct judge_result *res)
{
	json_t *rules = json_array();
	for (int rule = 1; rule <= JUDGE_RULES; rule++) {
		if (!(res->checked & (1u << rule)))
			continue;
		char id[8];
		snprintf(id, sizeof id, "F%d", rule);
		json_t *o = json_object();
		cli_json_set(o, "rule", cli_json_str(id));
		cli_json_set(o, "level", cli_json_str(judge_rule_is_should(rule) ? "SHOULD" : "MUST"));
		cli_json_set(o, "title", cli_json_str(judge_rule_title(rule)));
		cli_json_set(o, "result",
			     cli_json_str(res->failed & (1u << rule) ? "fail" : "pass"));
		json_array_append_new(rules, o);
	}
	return rules;
}

static void print_json(const char *src, const char *dst, const struct judge_result *res)
{
	json_t *o = json_object(), *v = json_array();
	cli_json_set(o, "src", cli_json_str(src));
	cli_json_set(o, "dst", cli_json_str(dst));
	cli_json_set(o, "ok", json_boolean(res->failed == 0));
	cli_json_set(o, "rules", rules_json(res));
	for (size_t i = 0; i < res->n; i++) {
		json_t *e = json_object();
		cli_json_set(e, "rule", cli_json_str(res->v[i].rule));
		cli_json_set(e, "path", cli_json_str(res->v[i].path));
		cli_json_set(e, "what", cli_json_str(res->v[i].what));
		json_array_append_new(v, e);
	}
	cli_json_set(o, "violations", v);
	cli_json_print(stdout, o);
}

static void print_text(const char *src, const char *dst, const struct judge_result *res)
{
	for (size_t i = 0; i < res->n; i++)
		printf("%s FAIL %s: %s\n", res->v[i].rule, res->v[i].path, res->v[i].what);
	for (int rule = 1; rule <= JUDGE_RULES; rule++)
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
						  { "no-link", no_argument, NULL, 'n' },
						  { "help", no_argument, NULL, 'h' },
						  { NULL, 0, NULL, 0 } };
	const char **skip = calloc((size_t)argc + 1, sizeof *skip);
	size_t nskip = 0;
	int json = 0, no_link = 0, c;
	if (!skip)
		return EXIT_FAIL;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (c == 'j') {
			json = 1;
		} else if (c == 's') {
			skip[nskip++] = optarg;
		} else if (c == 'n') {
			no_link = 1;
		} else if (c == 'h') {
			fputs("usage: snapfork verify [--json] [--skip REL]... [--no-link] SRC DST\n"
			      "  Judge the existing fork DST against its snapshot SRC: F1-F5 and\n"
			      "  F9-F11 of CONTRACT.md, each violation with its rule, path, expected\n"
			      "  and found.  Nothing is changed.\n"
			      "  --json      the violations as JSON on stdout\n"
			      "  --skip REL  SRC/REL was left out on purpose (fork --skip)\n"
			      "  --no-link   the mem-file was copied on purpose (fork --no-link):\n"
			      "              judged as a copy (F11's holes) instead of F4's link\n"
			      "  Exit 0: no violation; 1: violations, or a tree cannot be read;\n"
			      "  2: usage.\n",
			      stdout);
			free(skip);
			return EXIT_OK;
		} else {
			free(skip);
			return cli_bad_option("verify", c, argv);
		}
	}
	if (argc - optind != 2) {
		free(skip);
		return cli_usage_error("verify", "need SRC and DST", NULL);
	}
	const char *src = argv[optind], *dst = argv[optind + 1];
	struct judge_verify_opts o = { .skip = skip, .mem_copied = no_link };
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
	for (int rule = 1; rule <= JUDGE_RULES; rule++)
		if ((res.failed & (1u << rule)) && !judge_rule_is_should(rule))
			failed = 1;
	judge_result_free(&res);
	return failed ? EXIT_FAIL : EXIT_OK;
}
