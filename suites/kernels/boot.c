/* boot.c - a kernel under QEMU (kernels.h): fetch it (a Debian package,
 * through suites/vm/kernel.sh) or take an image and --modules, make the
 * initramfs (suites/vm/rootfs.sh), boot it (guest.c), read the results
 * back (a tar on the disk, libarchive: every error is the kernel's ERROR). */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child.h"
#include "fixture.h"
#include "kernels.h"
#include "vm.h"
#include "where.h"

/* The image and the modules directory (lib/modules/VERSION). */
static int locate(const struct kern_opts *o, const char *spec, struct kern_result *r,
		  char *image, char *mods, size_t len)
{
	if (strncmp(spec, "linux-image-", 12) != 0) {
		snprintf(image, len, "%s", spec);
		snprintf(mods, len, "%s", o->modules ? o->modules : "");
		if (!o->modules) {
			snprintf(r->error, sizeof r->error,
				 "%s: a kernel image needs --modules DIR (its lib/modules/VERSION)", spec);
			return -1;
		}
		return 0;
	}
	/* Its stdout is the unpacked package's directory; what apt-get and
	 * dpkg say goes to fetch.log.  A package is ~100 MB from the mirror,
	 * unpacked once. */
	char log[sizeof r->dir + 16], dir[PATH_MAX] = "";
	snprintf(log, sizeof log, "%s/fetch.log", r->dir);
	char script[4096];
	where_script("kernel.sh", script, sizeof script);
	char *argv[] = { script, "fetch", (char *)spec, (char *)o->cache, NULL };
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	struct child_spec cs = { .argv = argv, .out = CHILD_OUT_PIPE,
				 .err = fd >= 0 ? fd : CHILD_OUT_NULL };
	struct child c;
	size_t have = 0;
	int rc = child_start(&c, &cs);
	if (fd >= 0)
		close(fd);
	if (rc == 0 && (rc = child_collect(&c, child_deadline_ms(900 * 1000), dir, sizeof dir,
					   &have)) < 0)
		child_stop(&c);
	if (rc == 0)
		rc = child_exit_code(&c);
	dir[strcspn(dir, "\n")] = '\0';
	if (rc != 0 || !dir[0]) {
		snprintf(r->error, sizeof r->error, "%s: cannot fetch the package (%s; see %s)", spec,
			 rc < 0 ? strerror(-rc) : "kernel.sh failed", log);
		return -1;
	}
	static const char *const want[] = { "boot/vmlinuz-*", "lib/modules/*" };
	char *dest[] = { image, mods };
	for (int i = 0; i < 2; i++) {
		char pat[4200];
		glob_t g;
		snprintf(pat, sizeof pat, "%s/%s", dir, want[i]);
		if (glob(pat, 0, NULL, &g) != 0) {
			snprintf(r->error, sizeof r->error, "%s: no %s in the package", spec, want[i]);
			return -1;
		}
		snprintf(dest[i], len, "%s", g.gl_pathv[0]);
		globfree(&g);
	}
	return 0;
}

/* One entry of the results tar into dir: 1 extracted, 0 "." (the tar of
 * /results starts with it), -errno.  The guest writes relative names of
 * regular files and directories only (`tar -cf /dev/vda .`): anything
 * else (links, devices, absolute or ".." names) is refused, naming it. */
static int extract_entry(struct archive *a, struct archive *w, struct archive_entry *e,
			 const char *dir, char *err, size_t len)
{
	const char *name = archive_entry_pathname(e);
	mode_t type = archive_entry_filetype(e);
	if (name && (strcmp(name, ".") == 0 || strcmp(name, "./") == 0))
		return 0;
	if (!name || name[0] == '/' || strstr(name, "..") || archive_entry_hardlink(e) ||
	    (type != AE_IFREG && type != AE_IFDIR)) {
		snprintf(err, len, "%s: not a result the guest writes", name ? name : "(no name)");
		return -EPROTO;
	}
	char path[PATH_MAX];
	if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path) {
		snprintf(err, len, "%s: a name too long for %s", name, dir);
		return -ENAMETOOLONG;
	}
	archive_entry_set_pathname(e, path);
	if (archive_write_header(w, e) != ARCHIVE_OK) {
		snprintf(err, len, "%s: %s", path, archive_error_string(w));
		return -EIO;
	}
	const void *buf;
	size_t n;
	la_int64_t off;
	int r;
	while ((r = archive_read_data_block(a, &buf, &n, &off)) == ARCHIVE_OK)
		if (archive_write_data_block(w, buf, n, off) != ARCHIVE_OK) {
			snprintf(err, len, "%s: %s", path, archive_error_string(w));
			return -EIO;
		}
	if (r != ARCHIVE_EOF || archive_write_finish_entry(w) != ARCHIVE_OK) {
		snprintf(err, len, "%s: %s", path,
			 archive_error_string(r != ARCHIVE_EOF ? a : w));
		return -EIO;
	}
	return 1;
}

int kern_results_extract(const char *disk, const char *dir, char *err, size_t len)
{
	struct archive *a = archive_read_new();
	struct archive *w = archive_write_disk_new();
	archive_read_support_format_tar(a);
	/* Names are checked in extract_entry, then made dir/NAME (absolute:
	 * so no ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS here). */
	archive_write_disk_set_options(w, ARCHIVE_EXTRACT_SECURE_NODOTDOT |
						  ARCHIVE_EXTRACT_SECURE_SYMLINKS);
	int r = 0, h, entries = 0;
	struct archive_entry *e;
	if (archive_read_open_filename(a, disk, 65536) != ARCHIVE_OK) {
		snprintf(err, len, "%s: %s", disk, archive_error_string(a));
		r = -EIO;
	}
	while (r == 0 && (h = archive_read_next_header(a, &e)) != ARCHIVE_EOF) {
		if (h != ARCHIVE_OK) {
			snprintf(err, len, "%s: %s", disk, archive_error_string(a));
			r = -EIO;
		} else if ((r = extract_entry(a, w, e, dir, err, len)) > 0) {
			entries++;
			r = 0;
		}
	}
	if (r == 0 && entries == 0) {
		snprintf(err, len, "%s: no results on it (the guest wrote none)", disk);
		r = -ENODATA;
	}
	archive_read_free(a);
	archive_write_free(w);
	return r;
}

/* Copy the user's --job into f: the guest cannot see the host's files. */
static int copy_job(const char *from, FILE *f)
{
	FILE *in = fopen(from, "re");
	if (!in)
		return -errno;
	char buf[8192];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		if (fwrite(buf, 1, n, f) != n)
			break;
	int r = ferror(in) ? -EIO : 0;
	fclose(in);
	return r;
}

/* Write the job the guest's init runs (D=/results); 0, or -errno with
 * the path in err. */
static int write_job(const struct kern_opts *o, const char *self, struct kern_result *r,
		     char *job, size_t len, char *err, size_t elen)
{
	const char *legs[KERN_MAX_LEGS];
	size_t n = kern_jobs(o, r->label, legs, KERN_MAX_LEGS);
	snprintf(job, len, "%s/job.sh", r->dir);
	FILE *f = fopen(job, "we");
	int e = 0;
	if (!f) {
		snprintf(err, elen, "%.400s: %s", job, strerror(errno));
		return -errno;
	}
	if (o->job) {
		fputs("D=/results\n", f);
		if ((e = copy_job(o->job, f)) < 0)
			snprintf(err, elen, "%s: cannot read the job: %s", o->job, strerror(-e));
	} else {
		kern_job_commands(o, self, "/results", legs, n, 1, f);
	}
	if (fclose(f) != 0 && e == 0) {
		e = -errno;
		snprintf(err, elen, "%.400s: %s", job, strerror(-e));
	}
	return e;
}

void kern_run_guest(const struct kern_opts *o, const char *self, const char *spec,
		    struct kern_result *r)
{
	char image[4096], mods[4096], job[4300], initrd[4300], disk[4300], log[4300];
	const char *legs[KERN_MAX_LEGS];
	size_t n = kern_jobs(o, r->label, legs, KERN_MAX_LEGS);
	if (locate(o, spec, r, image, mods, sizeof image) < 0)
		return;
	char err[600];
	if (write_job(o, self, r, job, sizeof job, err, sizeof err) < 0) {
		snprintf(r->error, sizeof r->error, "%s", err);
		return;
	}
	snprintf(initrd, sizeof initrd, "%s/initrd.img", r->dir);
	snprintf(log, sizeof log, "%s/rootfs.log", r->dir);
	char script[4096], doubles[4096];
	where_script("rootfs.sh", script, sizeof script);
	where_doubles(doubles, sizeof doubles);
	char *argv[7 + 16 + 1] = { script, initrd, mods, job, (char *)self,
				   (char *)fixture_dir(), doubles };
	for (size_t i = 0; i < o->nguest && i < 16; i++)
		argv[7 + i] = (char *)o->guest_files[i];
	int rc = child_run(argv, log, child_deadline_ms(600 * 1000));
	if (rc != 0) {
		char said[300];
		child_log_last_line(log, said, sizeof said);
		snprintf(r->error, sizeof r->error, "cannot make the initramfs (%s%s%s; see %s)",
			 rc == -ETIMEDOUT ? "still running after 600 s"
			 : rc < 0	  ? strerror(-rc)
					  : "it failed",
			 said[0] ? ": " : "", said, log);
		return;
	}
	snprintf(disk, sizeof disk, "%s/results.img", r->dir);
	int fd = open(disk, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || ftruncate(fd, 256 << 20) < 0) {
		snprintf(r->error, sizeof r->error, "%s: %s", disk, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
	struct vm_guest g = { o->qemu, image, initrd, o->mem_mib, o->accel };
	r->accel = o->accel;
	if (kern_boot(o, r, &g, disk) < 0)
		return;
	if (kern_results_extract(disk, r->dir, err, sizeof err) < 0) {
		snprintf(r->error, sizeof r->error, "the results disk: %s", err);
		return;
	}
	unlink(disk);
	unlink(initrd);
	snprintf(log, sizeof log, "%s/rc", r->dir);
	FILE *f = fopen(log, "re");
	if (!f || fscanf(f, "%d", &r->job_rc) != 1)
		snprintf(r->error, sizeof r->error, "%s: the job's exit status is not on the results "
						    "disk",
			 log);
	if (f)
		fclose(f);
	if (!o->job && !r->error[0])
		kern_read_results(r, legs, n, o->leg_timeout);
}
