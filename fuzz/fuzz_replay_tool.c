/* snapfork-fuzz-replay INPUT DIR - decode a layout-fuzzer input into the
 * new directory DIR (the same decoder the fuzzer uses), so a developer
 * can run `snapfork fork DIR ...` on it by hand and step through it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "layout.h"

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: snapfork-fuzz-replay INPUT DIR\n"
				"  build the snapshot tree a layout-fuzzer input describes in DIR;\n"
				"  for a tar input use: snapfork fixture extract INPUT.tar DIR\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "rb");
	if (!f) {
		fprintf(stderr, "snapfork-fuzz-replay: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	static uint8_t buf[1 << 20];
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	if (mkdir(argv[2], 0755) < 0) {
		fprintf(stderr, "snapfork-fuzz-replay: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	int ops = fz_layout_build(buf, n, argv[2]);
	printf("%s: %d operations from %zu bytes of %s\n", argv[2], ops, n, argv[1]);
	return ops < 0;
}
