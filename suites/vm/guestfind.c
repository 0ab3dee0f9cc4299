/* guestfind.c - vmcheck's guest and QEMU: --kernel/--initrd, else the
 * default guest in the cache (where.h), made by guest.sh on first use. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child.h"
#include "vmcheck.h"
#include "where.h"

/* The first line of `QEMU --version` (a child under a 30 s limit). */
static int qemu_version(const char *qemu, char *out, size_t len)
{
	char *argv[] = { (char *)qemu, "--version", NULL };
	struct child_spec cs = { .argv = argv, .out = CHILD_OUT_PIPE, .err = CHILD_OUT_NULL };
	struct child ch;
	char text[1024];
	size_t have = 0;
	int r = child_start(&ch, &cs);
	if (r == 0 &&
	    (r = child_collect(&ch, child_deadline_ms(30000), text, sizeof text, &have)) < 0)
		child_stop(&ch);
	if (r < 0 || child_exit_code(&ch) != 0 || !strstr(text, "QEMU"))
		return -1;
	snprintf(out, len, "%.*s", (int)strcspn(text, "\n"), text);
	return 0;
}

/* mkdir -p: 0 or -errno. */
static int make_dirs(const char *path)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s", path);
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			if (mkdir(p, 0755) < 0 && errno != EEXIST)
				return -errno;
			*s = '/';
		}
	return mkdir(p, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

/* The default guest, made by guest.sh into the cache directory on first
 * use (Debian's cloud kernel and busybox-static, apt-get download: a
 * minute or two, once).  0, or -1 with the reason in run->setup_error. */
static int make_guest(const char *dir, struct vm_run *run)
{
	char script[4200], log[4300];
	where_script("guest.sh", script, sizeof script);
	snprintf(log, sizeof log, "%s.log", dir);
	fprintf(stderr, "snapfork vmcheck: no guest in %s yet: making it (first use; Debian's "
		"kernel and busybox-static by apt-get download; log: %s)\n", dir, log);
	char *argv[] = { script, (char *)dir, NULL };
	int r = make_dirs(dir);
	if (r < 0) {
		snprintf(run->setup_error, sizeof run->setup_error, "%.300s: cannot create: %s",
			 dir, strerror(-r));
		return -1;
	}
	unlink(log); /* child_run appends: this run's lines only */
	r = child_run(argv, log, child_deadline_ms(900 * 1000));
	char said[200] = "";
	if (r > 0)
		child_log_last_line(log, said, sizeof said);
	if (r != 0)
		snprintf(run->setup_error, sizeof run->setup_error,
			 "%.300s: cannot make the guest (%s; see %.300s; it needs apt-get and "
			 "Debian's mirror), or give --kernel and --initrd",
			 dir,
			 r == -ETIMEDOUT ? "still running after 900 s"
			 : r < 0	 ? strerror(-r)
			 : said[0]	 ? said
					 : "guest.sh failed",
			 log);
	return r == 0 ? 0 : -1;
}

/* The guest (--kernel/--initrd, else the cached one, made if absent), QEMU. */
int vm_find_guest(const char *kernel, const char *initrd, const char *qemu, struct vm_cfg *c,
		  struct vm_run *run, char *kpath, char *ipath, size_t len)
{
	char dir[4096];
	where_cache("vm-guest", dir, sizeof dir);
	snprintf(kpath, len, "%s", kernel ? kernel : dir);
	snprintf(ipath, len, "%s", initrd ? initrd : dir);
	if (!kernel) {
		strncat(kpath, "/vmlinuz", len - strlen(kpath) - 1);
		strncat(ipath, "/initrd.img", len - strlen(ipath) - 1);
		if ((access(kpath, R_OK) < 0 || access(ipath, R_OK) < 0) &&
		    make_guest(dir, run) < 0)
			return -1;
	}
	const char *paths[] = { kpath, ipath };
	for (int i = 0; i < 2; i++)
		if (access(paths[i], R_OK) < 0) {
			snprintf(run->setup_error, sizeof run->setup_error,
				 "%.400s: %s: no guest %s (give --kernel and --initrd, or remove "
				 "--kernel/--initrd for the default guest in %.400s)",
				 paths[i], strerror(errno), i ? "initramfs" : "kernel", dir);
			return -1;
		}
	c->guest.kernel = kpath;
	c->guest.initrd = ipath;
	c->guest.qemu = qemu ? qemu : "qemu-system-x86_64";
	if (qemu_version(c->guest.qemu, run->qemu_version, sizeof run->qemu_version) < 0) {
		snprintf(run->setup_error, sizeof run->setup_error,
			 "%s: QEMU not found or not runnable "
			 "(Debian: apt-get install qemu-system-x86)",
			 c->guest.qemu);
		run->qemu_version[0] = '\0';
	}
	run->qemu_version[strcspn(run->qemu_version, "\n")] = '\0';
	char desc[4300];
	snprintf(desc, sizeof desc, "%s.txt", kpath);
	FILE *d = fopen(desc, "r");
	if (!d || !fgets(run->kernel_desc, sizeof run->kernel_desc, d))
		snprintf(run->kernel_desc, sizeof run->kernel_desc, "%s", kpath);
	if (d)
		fclose(d);
	run->kernel_desc[strcspn(run->kernel_desc, "\n")] = '\0';
	return run->setup_error[0] ? -1 : 0;
}

