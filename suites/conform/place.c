/* place.c - where a row's snapshot and forks live (conform_place).  VM
 * managers keep instances under whatever paths their users choose and
 * reach them through symlinked directories; a fork that splits a path on
 * a space, reads a leading '-' as an option or resolves one symlink too
 * many is wrong only there.  So besides the tidy DIR/snap and DIR/fork,
 * the fixtures run under two fixed places: every character a shell or a
 * tool treats specially, and long paths reached through symlinks, at
 * different depths and in different parents. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "steps.h"

/* Nine components of 30 bytes: with the scratch prefix, paths of some
 * 400 bytes below a symlink. */
#define LONG9 "component-01-abcdefghijklmnopq/component-02-abcdefghijklmnopq/" \
	      "component-03-abcdefghijklmnopq/component-04-abcdefghijklmnopq/" \
	      "component-05-abcdefghijklmnopq/component-06-abcdefghijklmnopq/" \
	      "component-07-abcdefghijklmnopq/component-08-abcdefghijklmnopq/" \
	      "component-09-abcdefghijklmnopq"

const struct conform_place conform_places[] = {
	{ "paths-quoting", "-s p a c e 'q' \"d\"\t$HOME *\\ [x]\n\xff\xfe", NULL,
	  "other parent/-d 'q' \"d\"\t$PWD ?\\ {y}\n\xfe", NULL, "-snap\n", "-fork\n",
	  "-fork 2\n" },
	{ "paths-long", "real src/" LONG9, "via src", "real dst/" LONG9 "/" LONG9, "via dst",
	  "snap", "fork", "fork2" },
};
const size_t conform_nplaces = sizeof conform_places / sizeof conform_places[0];

/* mkdir -p of rel below base (made by us: no component exists yet but
 * perhaps a shared first one). */
static int make_dirs(const char *base, const char *rel, char *err, size_t len)
{
	char p[PATH_MAX * 2];
	int k = snprintf(p, sizeof p, "%s/%s", base, rel);
	if (k < 0 || (size_t)k >= sizeof p)
		return snprintf(err, len, "%s/%s: path too long", base, rel), -ENAMETOOLONG;
	struct stat b; /* owned as base is: a leg may fork as another user */
	if (stat(base, &b) < 0)
		return snprintf(err, len, "%s: %s", base, strerror(errno)), -errno;
	for (char *s = p + strlen(base) + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST) {
			snprintf(err, len, "%s: cannot create: %s", p, strerror(errno));
			return -errno;
		}
		if (lchown(p, b.st_uid, b.st_gid) < 0 && errno != EPERM) {
			snprintf(err, len, "%s: cannot chown: %s", p, strerror(errno));
			return -errno;
		}
		*s = c;
		if (!c)
			return 0;
	}
}

/* The path a fork is given: base/rel, or base/link/REST with link a
 * symlink to rel's first component (made here). */
static int path_of(const char *base, const char *rel, const char *link, const char *leaf,
		   char *out, size_t len, char *err, size_t elen)
{
	int r = make_dirs(base, rel, err, elen);
	if (r < 0)
		return r;
	const char *slash = strchr(rel, '/');
	if (link) {
		char lp[PATH_MAX], first[NAME_MAX + 1];
		snprintf(first, sizeof first, "%.*s", slash ? (int)(slash - rel) : (int)strlen(rel),
			 rel);
		snprintf(lp, sizeof lp, "%s/%s", base, link);
		if (symlink(first, lp) < 0 && errno != EEXIST) {
			snprintf(err, elen, "%s: cannot create the symlink: %s", lp, strerror(errno));
			return -errno;
		}
	}
	int k = link ? snprintf(out, len, "%s/%s%s/%s", base, link, slash ? slash : "", leaf)
		     : snprintf(out, len, "%s/%s/%s", base, rel, leaf);
	if (k < 0 || (size_t)k >= len) {
		snprintf(err, elen, "%s: path too long", base);
		return -ENAMETOOLONG;
	}
	return 0;
}

int conform_place_paths(const struct conform_place *p, const char *dir, const char *fdir,
			char *snap, char *fork, char *fork2, size_t len, char *err, size_t elen)
{
	if (!p) {
		snprintf(snap, len, "%s/snap", dir);
		snprintf(fork, len, "%s/fork", fdir);
		snprintf(fork2, len, "%s/fork2", fdir);
		return 0;
	}
	int r = path_of(dir, p->src_dir, p->src_link, p->src_leaf, snap, len, err, elen);
	if (r == 0)
		r = path_of(fdir, p->dst_dir, p->dst_link, p->dst_leaf, fork, len, err, elen);
	if (r == 0)
		r = path_of(fdir, p->dst_dir, p->dst_link, p->dst_leaf2, fork2, len, err, elen);
	return r;
}
