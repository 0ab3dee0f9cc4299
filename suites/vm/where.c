/* where.c - build tree or installed tree, decided from /proc/self/exe. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "where.h"

#ifndef SNAPFORK_SOURCE_DIR
#define SNAPFORK_SOURCE_DIR "."
#endif
#ifndef SNAPFORK_BINARY_DIR
#define SNAPFORK_BINARY_DIR "."
#endif

/* This binary's directory (resolved), or "" when /proc cannot say. */
static const char *exe_dir(void)
{
	static char dir[PATH_MAX];
	if (!dir[0]) {
		ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 1);
		dir[n > 0 ? n : 0] = '\0';
		char *slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
	}
	return dir;
}

/* Run from the build tree it was built in: <build>/bin/snapfork, the
 * sources still there. */
static int in_build_tree(void)
{
	char real[PATH_MAX], probe[PATH_MAX + 32];
	snprintf(probe, sizeof probe, "%s/suites/vm/guest.sh", SNAPFORK_SOURCE_DIR);
	return realpath(SNAPFORK_BINARY_DIR "/bin", real) && !strcmp(real, exe_dir()) &&
	       access(probe, R_OK) == 0;
}

/* Where the installed data is: $SNAPFORK_DATADIR, else <prefix>/share/
 * snapfork beside <prefix>/bin (the package's /usr among them).  Used
 * whenever this is not the build tree, so that a copied or moved binary
 * never reaches for the paths it was built in: what it lacks is named. */
static const char *share_dir(void)
{
	static char share[PATH_MAX + 32];
	const char *env = getenv("SNAPFORK_DATADIR");
	if (env && *env)
		return env;
	if (!share[0]) {
		char real[PATH_MAX];
		snprintf(share, sizeof share, "%s/../share/snapfork", exe_dir());
		if (realpath(share, real))
			snprintf(share, sizeof share, "%s", real);
	}
	return share;
}

static int installed(void)
{
	static int known = -1;
	if (known < 0)
		known = getenv("SNAPFORK_DATADIR") || !in_build_tree();
	return known;
}

void where_script(const char *name, char *out, size_t len)
{
	if (installed())
		snprintf(out, len, "%s/vm/%s", share_dir(), name);
	else
		snprintf(out, len, "%s/suites/vm/%s", SNAPFORK_SOURCE_DIR, name);
}

void where_doubles(char *out, size_t len)
{
	if (installed())
		snprintf(out, len, "%s/doubles", share_dir());
	else
		snprintf(out, len, "%s/suites/doubles", SNAPFORK_SOURCE_DIR);
}

void where_cache(const char *what, char *out, size_t len)
{
	const char *env = getenv("SNAPFORK_CACHE");
	const char *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	if (env && *env)
		snprintf(out, len, "%s/%s", env, what);
	else if (!installed())
		snprintf(out, len, "%s/%s", SNAPFORK_BINARY_DIR, what);
	/* root's guests are shared by every run on the machine (FHS: /var/cache
	 * holds data an application can rebuild), whatever XDG_CACHE_HOME a
	 * `sudo -E` kept: root's files never go into a user's home. */
	else if (geteuid() == 0 || !home || *home != '/')
		snprintf(out, len, "/var/cache/snapfork/%s", what);
	else if (xdg && *xdg == '/')
		snprintf(out, len, "%s/snapfork/%s", xdg, what);
	else
		snprintf(out, len, "%s/.cache/snapfork/%s", home, what);
}
