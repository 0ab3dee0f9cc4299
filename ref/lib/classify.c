/* classify.c - which snapshot entries a fork copies, skips or refuses.
 * The rules are CONTRACT.md's "Skip rules" and "Types"; the caller's own
 * skip paths (matched here too) and the mem-file are handled by the walk. */
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

enum sf_class sf_classify(unsigned depth, const char *name, mode_t mode, const char **reason)
{
	*reason = NULL;
	switch (mode & S_IFMT) {
	case S_IFSOCK:
		/* Runtime sockets belong to the running VMM, not to its state. */
		*reason = "socket";
		return SF_SKIP;
	case S_IFIFO:
		*reason = "a FIFO is not expected in a snapshot";
		return SF_REFUSE;
	case S_IFCHR:
	case S_IFBLK:
		*reason = "a device node is not expected in a snapshot";
		return SF_REFUSE;
	case S_IFDIR:
		/* Only the top-level logs/ is the VMM's; a nested a/logs/ is data. */
		if (depth == 0 && strcmp(name, "logs") == 0) {
			*reason = "top-level logs/";
			return SF_SKIP;
		}
		return SF_COPY;
	case S_IFREG:
		/* Half-written compression output; directories so named are copied. */
		if (sf_ends_with(name, ".lz4.tmp") || sf_ends_with(name, ".zst.tmp")) {
			*reason = "unfinished compression output";
			return SF_SKIP;
		}
		return SF_COPY;
	case S_IFLNK:
		return SF_COPY;
	default:
		*reason = "unknown file type";
		return SF_REFUSE;
	}
}

/* Prefix by whole components: "a" covers "a" and "a/b", never "ab".  The
 * walk never descends into a skipped directory, so for it this is an
 * exact match; the mem-file lookup asks about paths below one. */
int sf_skip_listed(const char *const *skip, const char *rel)
{
	for (const char *const *s = skip; s && *s; s++) {
		size_t n = strlen(*s);
		if (strncmp(*s, rel, n) == 0 && (rel[n] == '\0' || rel[n] == '/'))
			return 1;
	}
	return 0;
}
