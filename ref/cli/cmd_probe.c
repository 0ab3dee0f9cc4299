/* cmd_probe.c - snapfork probe: what the filesystem under DIR can do. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "json.h"

static const char *yes_no(int err, char *buf, size_t len)
{
	if (err == 0)
		return "yes";
	snprintf(buf, len, "no (%s)", strerror(err));
	return buf;
}

static void cap_json(struct jw *j, const char *key, int err)
{
	jw_object_begin(j, key);
	jw_bool(j, "ok", err == 0);
	jw_string(j, "error", err ? strerror(err) : NULL);
	jw_object_end(j);
}

int cmd_probe(int argc, char **argv)
{
	static const struct option longopts[] = { { "json", no_argument, NULL, 'j' },
						  { "help", no_argument, NULL, 'h' },
						  { NULL, 0, NULL, 0 } };
	int json = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'j')
			json = 1;
		else if (c == 'h') {
			printf("usage: snapfork probe [--json] DIR\n");
			return EXIT_OK;
		} else
			return cli_usage_error("probe", "bad option", NULL);
	}
	if (argc - optind != 1)
		return cli_usage_error("probe", "need DIR", NULL);
	const char *dir = argv[optind];
	struct snapfork_probe p = SNAPFORK_PROBE_INIT;
	int r = snapfork_probe_at(AT_FDCWD, dir, &p);
	if (r < 0) {
		cli_error("probe", dir, "cannot probe the filesystem", r);
		return EXIT_FAIL;
	}
	if (json) {
		struct jw j;
		jw_init(&j, stdout);
		jw_object_begin(&j, NULL);
		jw_string(&j, "dir", dir);
		jw_string(&j, "fstype", p.fstype);
		jw_uint(&j, "fs_magic", p.fs_magic);
		jw_uint(&j, "alloc_unit", p.alloc_unit);
		jw_int(&j, "link_max", p.link_max);
		cap_json(&j, "hardlink", p.hardlink);
		cap_json(&j, "reflink", p.reflink);
		cap_json(&j, "seek_hole", p.seek_hole);
		cap_json(&j, "copy_file_range", p.copy_range);
		cap_json(&j, "rename_noreplace", p.rename_noreplace);
		jw_object_end(&j);
		jw_finish(&j);
		return EXIT_OK;
	}
	char b[128];
	printf("%s: %s (magic 0x%llx), allocation unit %llu\n", dir, p.fstype,
	       (unsigned long long)p.fs_magic, (unsigned long long)p.alloc_unit);
	printf("  hardlink:          %s\n", yes_no(p.hardlink, b, sizeof b));
	printf("  reflink (FICLONE): %s\n", yes_no(p.reflink, b, sizeof b));
	printf("  SEEK_DATA/HOLE:    %s\n", yes_no(p.seek_hole, b, sizeof b));
	printf("  copy_file_range:   %s\n", yes_no(p.copy_range, b, sizeof b));
	printf("  RENAME_NOREPLACE:  %s\n", yes_no(p.rename_noreplace, b, sizeof b));
	if (p.link_max > 0)
		printf("  link limit:        %ld\n", p.link_max);
	else
		printf("  link limit:        unknown\n");
	return EXIT_OK;
}
