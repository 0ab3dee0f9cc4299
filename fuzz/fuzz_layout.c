/* fuzz_layout.c - build a snapshot tree from the input, fork it, judge
 * the fork with an oracle written apart from ref/ (oracle.c). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "layout.h"
#include "oracle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *root = fz_scratch();
	char src[300];
	snprintf(src, sizeof src, "%s/src", root);
	fz_layout_build(data, size, src);
	fz_fork_and_judge(root);
	return 0;
}
