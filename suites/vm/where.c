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

/* <prefix>/share/snapfork when this binary is <prefix>/bin/snapfork and
 * that directory holds the scripts (an installed tree, the package's
 * /usr among them); NULL for a build tree. */
static const char *installed_share(void)
{
	static char share[PATH_MAX + 32];
	static int known;
	if (known)
		return share[0] ? share : NULL;
	known = 1;
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	char probe[sizeof share + 32];
	snprintf(share, sizeof share, "%s/../share/snapfork", exe);
	snprintf(probe, sizeof probe, "%s/vm/guest.sh", share);
	char real[PATH_MAX];
	if (access(probe, R_OK) != 0 || !realpath(share, real)) {
		share[0] = '\0';
		return NULL;
	}
	snprintf(share, sizeof share, "%s", real);
	return share;
}

void where_script(const char *name, char *out, size_t len)
{
	const char *share = installed_share();
	if (share)
		snprintf(out, len, "%s/vm/%s", share, name);
	else
		snprintf(out, len, "%s/suites/vm/%s", SNAPFORK_SOURCE_DIR, name);
}

void where_doubles(char *out, size_t len)
{
	const char *share = installed_share();
	if (share)
		snprintf(out, len, "%s/doubles", share);
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
	else if (!installed_share())
		snprintf(out, len, "%s/%s", SNAPFORK_BINARY_DIR, what);
	else if (xdg && *xdg == '/')
		snprintf(out, len, "%s/snapfork/%s", xdg, what);
	/* root's guests are shared by every run on the machine (FHS: /var/cache
	 * holds data an application can rebuild). */
	else if (geteuid() == 0 || !home || *home != '/')
		snprintf(out, len, "/var/cache/snapfork/%s", what);
	else
		snprintf(out, len, "%s/.cache/snapfork/%s", home, what);
}
