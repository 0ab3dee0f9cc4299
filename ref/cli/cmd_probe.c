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

static json_t *cap_json(int err)
{
	json_t *c = json_object();
	cli_json_set(c, "ok", json_boolean(err == 0));
	cli_json_set(c, "error", cli_json_str(err ? strerror(err) : NULL));
	return c;
}

static json_t *probe_json(const char *dir, const struct snapfork_probe *p)
{
	json_t *o = json_object();
	cli_json_set(o, "dir", cli_json_str(dir));
	cli_json_set(o, "fstype", cli_json_str(p->fstype));
	cli_json_set(o, "fs_magic", cli_json_uint(p->fs_magic));
	cli_json_set(o, "alloc_unit", cli_json_uint(p->alloc_unit));
	cli_json_set(o, "link_max", json_integer(p->link_max));
	cli_json_set(o, "hardlink", cap_json(p->hardlink));
	cli_json_set(o, "reflink", cap_json(p->reflink));
	cli_json_set(o, "seek_hole", cap_json(p->seek_hole));
	cli_json_set(o, "copy_file_range", cap_json(p->copy_range));
	cli_json_set(o, "rename_noreplace", cap_json(p->rename_noreplace));
	return o;
}

int cmd_probe(int argc, char **argv)
{
	static const struct option longopts[] = { { "json", no_argument, NULL, 'j' },
						  { "help", no_argument, NULL, 'h' },
						  { NULL, 0, NULL, 0 } };
	int json = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (c == 'j')
			json = 1;
		else if (c == 'h') {
			fputs("usage: snapfork probe [--json] DIR\n"
			      "  What the filesystem under DIR can do for a fork, found by trying\n"
			      "  it in a scratch directory there (removed after): hardlinks and\n"
			      "  their limit, reflinks, SEEK_HOLE, copy_file_range.\n"
			      "  --json  the same as JSON on stdout\n"
			      "  Exit 0: probed; 1: DIR cannot be probed; 2: usage.\n",
			      stdout);
			return EXIT_OK;
		} else
			return cli_bad_option("probe", c, argv);
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
		cli_json_print(stdout, probe_json(dir, &p));
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
