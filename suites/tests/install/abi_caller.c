/* abi_caller.c - a VM manager's program against the installed header and
 * library, built by install_test.sh with nothing but pkg-config's flags.
 * It checks the ABI promises of snapfork.h: the structs carry their size,
 * a caller compiled against a newer header (larger structs) works while it
 * sets nothing this library does not know, gets -E2BIG when it does, and
 * no byte past a caller's size is written.
 *
 *   abi_caller SNAPSHOT SCRATCH   (SCRATCH: an empty directory)
 */
#define _DEFAULT_SOURCE /* lstat under -std=c11 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <snapfork.h>

static int failures;
#define CHECK(cond)                                                                              \
	do {                                                                                     \
		if (!(cond)) {                                                                   \
			fprintf(stderr, "abi_caller: line %d: %s\n", __LINE__, #cond);          \
			failures++;                                                              \
		}                                                                                \
	} while (0)

static const char *path(const char *dir, const char *name)
{
	static char buf[8][4096];
	static unsigned i;
	char *p = buf[i++ % 8];
	snprintf(p, sizeof buf[0], "%s/%s", dir, name);
	return p;
}

static int exists(const char *p)
{
	struct stat st;
	return lstat(p, &st) == 0;
}

/* A header of a later version: the same structs with a field appended. */
struct options_v2 {
	struct snapfork_options v1;
	uint64_t future;
};
struct report_v2 {
	struct snapfork_report v1;
	uint64_t future;
};

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	const char *snap = argv[1], *dir = argv[2];
	/* The header and the library loaded are the same version. */
	CHECK(strcmp(snapfork_version(), SNAPFORK_VERSION) == 0);

	/* Today's caller: the _INIT macros set the sizes. */
	struct snapfork_options o = SNAPFORK_OPTIONS_INIT;
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	CHECK(snapfork_fork(snap, path(dir, "today"), &o, &rep) == 0);
	CHECK(rep.size == sizeof rep && rep.mem_via == SNAPFORK_VIA_LINK);

	/* A newer caller that leaves the new field 0: the fork works, the
	 * report's unknown tail comes back zeroed, nothing past it written. */
	struct options_v2 o2;
	memset(&o2, 0, sizeof o2);
	o2.v1.size = sizeof o2;
	unsigned char buf[sizeof(struct report_v2) + 64];
	memset(buf, 0xaa, sizeof buf);
	struct report_v2 *r2 = (struct report_v2 *)buf;
	r2->v1.size = sizeof *r2;
	CHECK(snapfork_fork(snap, path(dir, "newer"), &o2.v1, &r2->v1) == 0);
	CHECK(r2->v1.size == sizeof *r2 && r2->v1.kind == SNAPFORK_KIND_RAW);
	CHECK(r2->future == 0);
	for (size_t i = sizeof *r2; i < sizeof buf; i++)
		CHECK(buf[i] == 0xaa);

	/* ...that sets it: refused before anything is made. */
	o2.future = 1;
	CHECK(snapfork_fork(snap, path(dir, "e2big"), &o2.v1, NULL) == -E2BIG);
	CHECK(!exists(path(dir, "e2big")));

	/* A size below the first version's (an uninitialised struct): -EINVAL. */
	struct snapfork_options bad = SNAPFORK_OPTIONS_INIT;
	bad.size = 4;
	CHECK(snapfork_fork(snap, path(dir, "small"), &bad, NULL) == -EINVAL);
	struct snapfork_report small = SNAPFORK_REPORT_INIT;
	small.size = 16;
	CHECK(snapfork_fork(snap, path(dir, "small"), NULL, &small) == -EINVAL);
	CHECK(!exists(path(dir, "small")));

	/* Each operation has a path form and an _at form. */
	struct snapfork_probe p = SNAPFORK_PROBE_INIT;
	CHECK(snapfork_probe(dir, &p) == 0 && p.hardlink == 0 && p.size == sizeof p);
	int unshared = -1;
	CHECK(snapfork_unshare(path(dir, "today/memory"), &unshared) == 0 && unshared == 1);

	if (failures)
		return 1;
	printf("abi: ok (libsnapfork %s)\n", snapfork_version());
	return 0;
}
