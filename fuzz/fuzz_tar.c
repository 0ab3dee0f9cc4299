/* fuzz_tar.c - the input is a tar archive: extract it with the fixtures'
 * secure extraction; a refused archive must leave nothing, an accepted
 * one is forked and judged by the oracle.  A sentinel outside stays. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "judge.h"
#include "oracle.h"
#include "fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *root = fz_scratch();
	char tar[300], src[300], err[1024];
	snprintf(tar, sizeof tar, "%s/../snapfork-fuzz-%d.tar", root, (int)getpid());
	snprintf(src, sizeof src, "%s/src", root);
	FILE *f = fopen(tar, "w");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	rmdir(src); /* fixture_extract makes it, or nothing */
	if (fixture_extract(tar, src, NULL, err, sizeof err) < 0) {
		if (access(src, F_OK) == 0) {
			fprintf(stderr, "ORACLE: a refused archive left %s (%s)\n", src, err);
			abort();
		}
		fz_sentinel_intact(root);
		unlink(tar);
		return 0;
	}
	unlink(tar);
	fz_sentinel_intact(root);
	fz_fork_and_judge(root);
	return 0;
}
