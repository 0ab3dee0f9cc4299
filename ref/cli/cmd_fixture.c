/* cmd_fixture.c - snapfork fixture list | extract | capture. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "sff.h"

static int list(void)
{
	struct sff_fixture *v;
	size_t n;
	char err[1024];
	if (sff_fixtures_list(&v, &n, err, sizeof err) < 0) {
		fprintf(stderr, "snapfork fixture: %s\n", err);
		return EXIT_FAIL;
	}
	printf("%-16s %-11s %-17s %-10s %s\n", "NAME", "KIND", "LAYOUT", "MEMORY", "DESCRIPTION");
	for (size_t i = 0; i < n; i++) {
		char b[32] = "-";
		if (v[i].mem_file)
			cli_bytes(v[i].mem_apparent_size, b, sizeof b);
		printf("%-16s %-11s %-17s %-10s %s\n", v[i].name, v[i].kind ? v[i].kind : "?",
		       v[i].layout ? v[i].layout : "?", b,
		       v[i].description ? v[i].description : "");
	}
	printf("(%zu fixtures in %s)\n", n, sff_fixture_dir());
	sff_fixtures_free(v, n);
	return EXIT_OK;
}

static int extract(const char *what, const char *dir)
{
	struct sff_fixture f;
	char err[1024];
	if (sff_fixture_resolve(what, &f, err, sizeof err) < 0) {
		fprintf(stderr, "snapfork fixture extract: %s\n", err);
		return EXIT_FAIL;
	}
	int r = sff_extract(f.tar, dir, f.sockets, err, sizeof err);
	if (r < 0) {
		fprintf(stderr, "snapfork fixture extract: %s\n", err);
		sff_fixture_free(&f);
		return EXIT_FAIL;
	}
	printf("extracted %s into %s\n", f.name, dir);
	const char *mem = f.compressed_mem_file ? f.compressed_mem_file : f.mem_file;
	char path[8192], a[32], b[32];
	struct stat st;
	snprintf(path, sizeof path, "%s/%s", dir, mem ? mem : "");
	if (mem && lstat(path, &st) == 0)
		printf("  mem-file %s: %s apparent, %s allocated\n", mem,
		       cli_bytes((uint64_t)st.st_size, a, sizeof a),
		       cli_bytes((uint64_t)st.st_blocks * 512, b, sizeof b));
	for (char **s = f.sockets; *s; s++)
		printf("  socket bound: %s\n", *s);
	sff_fixture_free(&f);
	return EXIT_OK;
}

int cmd_fixture(int argc, char **argv)
{
	static const char usage[] = "usage: snapfork fixture list\n"
				    "       snapfork fixture extract NAME|FILE.tar DIR\n"
				    "       snapfork fixture capture [--anonymize] DIR FILE.tar\n";
	if (argc < 2)
		return cli_usage_error("fixture", "need list, extract or capture", NULL);
	const char *sub = argv[1];
	if (strcmp(sub, "--help") == 0) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	if (strcmp(sub, "list") == 0 && argc == 2)
		return list();
	if (strcmp(sub, "extract") == 0 && argc == 4)
		return extract(argv[2], argv[3]);
	if (strcmp(sub, "capture") == 0 && (argc == 4 || argc == 5)) {
		unsigned flags = 0;
		if (argc == 5) {
			if (strcmp(argv[2], "--anonymize") != 0)
				return cli_usage_error("fixture capture", "unknown option",
						       argv[2]);
			flags |= SFF_CAPTURE_ANONYMIZE;
		}
		char err[1024];
		if (sff_capture(argv[argc - 2], argv[argc - 1], flags, err, sizeof err) < 0) {
			fprintf(stderr, "snapfork fixture capture: %s\n", err);
			return EXIT_FAIL;
		}
		printf("captured %s into %s%s\n", argv[argc - 2], argv[argc - 1],
		       flags ? " (contents anonymized)" : "");
		return EXIT_OK;
	}
	return cli_usage_error("fixture", "bad arguments; see 'snapfork fixture --help'", sub);
}
