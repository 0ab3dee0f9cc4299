/* names.c - stable names of the public enums (used in reports and JSON),
 * and of the library's version. */
#include <errno.h>
#include <string.h>

#include "snapfork.h"

const char *snapfork_version(void)
{
	return SNAPFORK_VERSION; /* this library's, from the header it was built with */
}

const char *snapfork_kind_name(enum snapfork_kind kind)
{
	switch (kind) {
	case SNAPFORK_KIND_MEMORYLESS:
		return "memoryless";
	case SNAPFORK_KIND_RAW:
		return "raw";
	case SNAPFORK_KIND_COMPRESSED:
		return "compressed";
	}
	return "unknown";
}

const char *snapfork_via_name(enum snapfork_via via)
{
	switch (via) {
	case SNAPFORK_VIA_NONE:
		return "none";
	case SNAPFORK_VIA_LINK:
		return "link";
	case SNAPFORK_VIA_REFLINK:
		return "reflink";
	case SNAPFORK_VIA_RANGE:
		return "range";
	case SNAPFORK_VIA_RW:
		return "rw";
	case SNAPFORK_VIA_DECOMPRESS:
		return "decompress";
	case SNAPFORK_VIA_COMPRESSED_COPY:
		return "compressed-copy";
	}
	return "unknown";
}

static const char *const method_names[] = {
	[SNAPFORK_METHOD_AUTO] = "auto",
	[SNAPFORK_METHOD_REFLINK] = "reflink",
	[SNAPFORK_METHOD_RANGE] = "range",
	[SNAPFORK_METHOD_RW] = "rw",
};

const char *snapfork_method_name(enum snapfork_method method)
{
	if ((unsigned)method < sizeof method_names / sizeof method_names[0])
		return method_names[method];
	return "unknown";
}

int snapfork_method_parse(const char *name, enum snapfork_method *out)
{
	for (unsigned i = 0; i < sizeof method_names / sizeof method_names[0]; i++) {
		if (strcmp(name, method_names[i]) == 0) {
			*out = (enum snapfork_method)i;
			return 0;
		}
	}
	return -EINVAL;
}
