/* inputs.c - what `snapfork kernels` is given, checked while its options
 * are parsed (kernels.h): a --job, --modules, --work, --kernel image or
 * --guest-file that cannot be read, an --exclude that names no fixture,
 * is a usage error before anything boots. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "fixture.h"
#include "kernels.h"

/* path must be a readable file (dir: a directory): a job that cannot be
 * read must stop here, not run empty on every kernel and pass. */
static int input(const char *opt, const char *path, int dir)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | (dir ? O_DIRECTORY : 0));
	int e = fd < 0 ? errno : fstat(fd, &st) < 0 ? errno : 0;
	if (fd >= 0)
		close(fd);
	if (!e && !dir && !S_ISREG(st.st_mode))
		e = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
	if (!e)
		return 0;
	char what[64];
	snprintf(what, sizeof what, "%s: cannot read it%s", opt,
		 e == EINVAL ? " (not a regular file)" : "");
	cli_error("kernels", path, what, -e);
	return -1;
}

/* Each --exclude names a bundled fixture: a typo would boot every
 * kernel and then fail each leg (or leave the fixture in). */
static int excludes_known(const struct kern_opts *o)
{
	struct fixture *fx;
	size_t n;
	char err[1024];
	if (o->nexcl == 0)
		return 0;
	if (fixture_list(&fx, &n, err, sizeof err) < 0) {
		fprintf(stderr, "snapfork kernels: %s\n", err);
		return -1;
	}
	int bad = 0;
	for (size_t x = 0; x < o->nexcl && !bad; x++)
		if ((bad = fixture_exclude(fx, &n, o->excludes[x]) < 0))
			fprintf(stderr, "snapfork kernels: --exclude names no bundled fixture: %s (see "
					"snapfork fixture list)\n",
				o->excludes[x]);
	fixture_list_free(fx, n);
	return bad ? -1 : 0;
}

int kern_check_inputs(const struct kern_opts *o)
{
	int bad = (o->job && input("--job", o->job, 0) < 0) ||
		  (o->modules && input("--modules", o->modules, 1) < 0) ||
		  (o->work && input("--work", o->work, 1) < 0) || excludes_known(o) < 0;
	for (size_t i = 0; !bad && i < o->nkernels; i++)
		if (strcmp(o->kernels[i], "host") != 0 && strncmp(o->kernels[i], "linux-image-", 12))
			bad = input("--kernel", o->kernels[i], 0) < 0;
	for (size_t i = 0; !bad && i < o->nguest; i++)
		if (access(o->guest_files[i], R_OK) < 0) {
			cli_error("kernels", o->guest_files[i], "--guest-file: cannot read it", -errno);
			bad = 1;
		}
	if (!bad && o->durable && !o->tmpl) {
		cli_usage_error("kernels", "--durable goes with --fork-cmd (the library runs both ways)",
				NULL);
		bad = 1;
	}
	return bad;
}
