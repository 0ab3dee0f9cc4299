/* fuzz_classify.c - differential: the reference's skip/refuse decision
 * for one entry (ref/lib/classify.c) against the checker's own reading of
 * the contract (suites/judge/expect.c).  They must agree on every name,
 * depth and type. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "judge.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const mode_t types[] = { S_IFREG, S_IFDIR, S_IFLNK, S_IFSOCK, S_IFIFO, S_IFCHR, S_IFBLK };
	if (size < 2)
		return 0;
	unsigned depth = data[0] % 4;
	mode_t type = types[data[1] % 7];
	char name[256];
	size_t n = 0;
	for (size_t i = 2; i < size && n < 255; i++)
		if (data[i] != '/' && data[i] != 0)
			name[n++] = (char)data[i];
	name[n] = '\0';
	if (n == 0 || !strcmp(name, ".") || !strcmp(name, ".."))
		return 0;
	char rel[512] = "";
	for (unsigned d = 0; d < depth; d++)
		strcat(rel, "d/");
	strcat(rel, name);
	const char *reason;
	enum sf_class ref = sf_classify(depth, name, type | 0644, &reason);
	int refused = S_ISFIFO(type) || S_ISCHR(type) || S_ISBLK(type);
	int skipped = judge_skipped_by_contract(rel, type | 0644);
	if ((ref == SF_REFUSE) != refused || (!refused && (ref == SF_SKIP) != skipped)) {
		fprintf(stderr, "DISAGREE: depth %u type %o name '%s': ref %d, checker skip %d\n", depth,
			(unsigned)type, name, (int)ref, skipped);
		abort();
	}
	return 0;
}
