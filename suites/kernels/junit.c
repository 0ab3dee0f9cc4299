/* junit.c - JUnit files combined: every <testsuite> of each input copied
 * into one <testsuites>, optionally with properties added (the kernel it
 * ran on).  `snapfork junit-merge OUT IN...` is what a CI matrix that ran
 * one kernel x leg per job calls at the end.  Text-level: a suite is
 * copied byte for byte from "<testsuite" to its "</testsuite>" (or the
 * end of a self-closing tag), which keeps whatever a writer put inside. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "conform.h"
#include "kernels.h"

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	size_t k;
	while (buf && (k = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += k;
		if (len + 1 == cap) {
			char *p = realloc(buf, cap *= 2);
			if (!p)
				free(buf);
			buf = p;
		}
	}
	fclose(f);
	if (buf)
		buf[len] = '\0';
	*n = len;
	return buf;
}

static void props_out(FILE *out, const char *const *props)
{
	for (const char *const *p = props; p && p[0] && p[1]; p += 2)
		conform_junit_property(out, p[0], p[1]);
}

/* One suite [s, e) with props added after <properties> (or a new block
 * after the start tag). */
static void suite_out(FILE *out, const char *s, const char *e, const char *const *props)
{
	const char *tag_end = memchr(s, '>', (size_t)(e - s));
	int closed = tag_end && tag_end[-1] == '/';
	if (!props || !props[0] || !tag_end || closed) {
		fprintf(out, "  %.*s\n", (int)(e - s), s);
		return;
	}
	const char *pr = strstr(tag_end, "<properties>");
	if (pr && pr < e) {
		pr += strlen("<properties>");
		fprintf(out, "  %.*s\n", (int)(pr - s), s);
		props_out(out, props);
		fprintf(out, "%.*s\n", (int)(e - pr), pr);
		return;
	}
	fprintf(out, "  %.*s\n    <properties>\n", (int)(tag_end + 1 - s), s);
	props_out(out, props);
	fprintf(out, "    </properties>%.*s\n", (int)(e - tag_end - 1), tag_end + 1);
}

int kern_junit_copy(FILE *out, const char *in, const char *const *props)
{
	size_t n;
	char *buf = slurp(in, &n);
	if (!buf)
		return -errno;
	int suites = 0;
	for (char *p = buf; (p = strstr(p, "<testsuite"));) {
		if (p[10] == 's') { /* <testsuites> */
			p += 11;
			continue;
		}
		char *gt = strchr(p, '>');
		if (!gt)
			break;
		char *end = gt[-1] == '/' ? gt + 1 : strstr(gt, "</testsuite>");
		if (!end)
			break;
		if (gt[-1] != '/')
			end += strlen("</testsuite>");
		suite_out(out, p, end, props);
		suites++;
		p = end;
	}
	free(buf);
	return suites > 0 ? 0 : -EPROTO;
}

int cmd_junit_merge(int argc, char **argv)
{
	int help = argc > 1 && !strcmp(argv[1], "--help");
	/* It takes no options: a word starting with '-' is a mistake, not
	 * an OUT file to make. */
	for (int i = 1; i < argc && !help; i++)
		if (argv[i][0] == '-' && argv[i][1])
			return cli_usage_error("junit-merge", "unknown option", argv[i]);
	if (argc < 3 && !help)
		return cli_usage_error("junit-merge", "need OUT.xml and at least one IN.xml", NULL);
	if (help) {
		fputs("usage: snapfork junit-merge OUT.xml IN.xml...\n"
		      "  Every <testsuite> of each IN into one OUT (e.g. the jobs of a CI\n"
		      "  matrix); OUT is replaced only once every IN was read.\n"
		      "  Exit 0: written; 1: an IN unreadable or without a testsuite, or OUT\n"
		      "  not writable; 2: usage.\n",
		      stdout);
		return EXIT_OK;
	}
	/* Written beside OUT and renamed over it only when every IN was read:
	 * an OUT with fewer suites would read as fewer tests, not a failure. */
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof tmp, "%s.partial", argv[1]);
	FILE *f = fopen(tmp, "w");
	if (!f) {
		cli_error("junit-merge", tmp, "cannot write", -errno);
		return EXIT_FAIL;
	}
	int rc = EXIT_OK;
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n", f);
	for (int i = 2; i < argc; i++) {
		int r = kern_junit_copy(f, argv[i], NULL);
		if (r < 0) {
			cli_error("junit-merge", argv[i],
				  r == -EPROTO ? "no <testsuite> in it" : "cannot read", r);
			rc = EXIT_FAIL;
		}
	}
	fputs("</testsuites>\n", f);
	if (cli_fclose(f) < 0) {
		cli_error("junit-merge", tmp, "cannot write", -EIO);
		rc = EXIT_FAIL;
	}
	if (rc == EXIT_OK && rename(tmp, argv[1]) < 0) {
		cli_error("junit-merge", argv[1], "cannot write", -errno);
		rc = EXIT_FAIL;
	}
	if (rc != EXIT_OK)
		unlink(tmp); /* OUT stays as it was */
	return rc;
}
