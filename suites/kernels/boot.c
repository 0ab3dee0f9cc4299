/* boot.c - a kernel under QEMU (kernels.h): fetch it (a Debian package,
 * through suites/vm/kernel.sh) or take an image and --modules, make the
 * initramfs (suites/vm/rootfs.sh), boot with a results disk, wait with
 * time limits, read the results back (a tar on the disk, libarchive). */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "judge.h"
#include "kernels.h"
#include "vm.h"

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
	char log[4300], dir[4096] = "";
	snprintf(log, sizeof log, "%s/fetch.log", r->dir);
	char *argv[] = { SNAPFORK_SOURCE_DIR "/suites/vm/kernel.sh", "fetch", (char *)spec,
			 (char *)o->cache, NULL };
	char out[4300];
	snprintf(out, sizeof out, "%s/fetch.out", r->dir);
	int rc = kern_spawn(argv, out);
	FILE *f = fopen(out, "r");
	if (f && fgets(dir, sizeof dir, f))
		dir[strcspn(dir, "\n")] = '\0';
	if (f)
		fclose(f);
	if (rc != 0 || !dir[0]) {
		snprintf(r->error, sizeof r->error, "%s: cannot fetch the package (see %s)", spec, out);
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

/* Extract the tar the guest wrote onto its results disk into dir. */
static int read_results(const char *disk, const char *dir, char *err, size_t len)
{
	struct archive *a = archive_read_new();
	struct archive *w = archive_write_disk_new();
	archive_read_support_format_tar(a);
	/* Paths are dir + the entry's (relative, no "..": checked below). */
	archive_write_disk_set_options(w, ARCHIVE_EXTRACT_SECURE_NODOTDOT |
						  ARCHIVE_EXTRACT_SECURE_SYMLINKS);
	int r = archive_read_open_filename(a, disk, 65536) == ARCHIVE_OK ? 0 : -EIO;
	struct archive_entry *e;
	char path[4400];
	while (r == 0 && archive_read_next_header(a, &e) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		if (!name || name[0] == '/' || strstr(name, ".."))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, name);
		archive_entry_set_pathname(e, path);
		const void *buf;
		size_t n;
		la_int64_t off;
		if (archive_write_header(w, e) == ARCHIVE_OK)
			while (archive_read_data_block(a, &buf, &n, &off) == ARCHIVE_OK)
				if (archive_write_data_block(w, buf, n, off) != ARCHIVE_OK)
					break;
		archive_write_finish_entry(w);
	}
	if (r < 0)
		snprintf(err, len, "%s: %s", disk, archive_error_string(a));
	archive_read_free(a);
	archive_write_free(w);
	return r;
}

/* The console holds the line that starts with what, complete. */
static int has(const struct vm *v, const void *what)
{
	const char *p = v->out ? strstr(v->out, what) : NULL;
	return p && strchr(p, '\n') != NULL;
}

/* Write the job the guest's init runs (D=/results). */
static int write_job(const struct kern_opts *o, const char *self, struct kern_result *r,
		     char *job, size_t len)
{
	const char *legs[KERN_MAX_LEGS];
	size_t n = kern_jobs(o, r->label, legs, KERN_MAX_LEGS);
	snprintf(job, len, "%s/job.sh", r->dir);
	FILE *f = fopen(job, "w");
	if (!f)
		return -errno;
	if (o->job) {
		/* A user's job, copied in: the guest cannot see the host's files. */
		FILE *in = fopen(o->job, "r");
		int c;
		fputs("D=/results\n", f);
		while (in && (c = fgetc(in)) != EOF)
			fputc(c, f);
		if (in)
			fclose(in);
	} else {
		kern_job_commands(o, self, "/results", legs, n, f);
	}
	return fclose(f) == 0 ? 0 : -EIO;
}

static void boot_error(struct kern_result *r, const struct vm *v, int rc, const char *what,
		       unsigned limit)
{
	char con[900], q[300];
	vm_console_tail(v, con, sizeof con);
	vm_qemu_tail(v, q, sizeof q);
	/* The panic's own line first: the tail is mostly its register dump. */
	char panic[200] = "";
	const char *p = v->out ? strstr(v->out, "Kernel panic") : NULL;
	if (p)
		snprintf(panic, sizeof panic, "the kernel panicked: %.*s; ", (int)strcspn(p, "\r\n"), p);
	if (rc == -ETIMEDOUT)
		snprintf(r->error, sizeof r->error, "%s within %u s (time limit); %sconsole: %s", what,
			 limit, panic, con);
	else
		snprintf(r->error, sizeof r->error,
			 "%s: QEMU exited (panic=-1 and -no-reboot end a crashed guest); %sQEMU: %s; "
			 "console: %s",
			 what, panic, q, con);
}

/* Boot, wait for the kernel's line, then for the job's end. */
static int run_vm(const struct kern_opts *o, struct kern_result *r, const struct vm_guest *g,
		  const char *disk)
{
	char drive[4400], esc[4300], run[4300], err[1500];
	vm_opt_escape(esc, sizeof esc, disk);
	snprintf(drive, sizeof drive, "file=%s,format=raw,if=virtio", esc);
	const char *extra[] = { "-smp", "2", "-drive", drive, NULL };
	struct vm_start s = { NULL, 0, 0, extra };
	struct vm v;
	/* QEMU's sockets need a short path (sun_path: 108 bytes). */
	char base[64] = "/tmp/snapfork-kernel-XXXXXX";
	if (!mkdtemp(base)) {
		snprintf(r->error, sizeof r->error, "%s: %s", base, strerror(errno));
		return -1;
	}
	snprintf(run, sizeof run, "%s/run", base);
	int rc = vm_start(&v, "kernel", run, g, &s, err, sizeof err);
	if (rc == 0)
		rc = vm_cont(&v, err, sizeof err);
	if (rc < 0) {
		snprintf(r->error, sizeof r->error, "QEMU did not start: %s", err);
		vm_stop(&v);
		free(v.out);
		judge_remove_tree(base);
		return -1;
	}
	/* A --job is one leg; otherwise each leg has its time. */
	unsigned job_limit = o->leg_timeout * (o->job ? 1 : (unsigned)kern_jobs(o, r->label, NULL, 0));
	rc = vm_wait(&v, has, "SNAPFORK-KERNEL ", (int)o->boot_timeout * 1000);
	if (rc < 0)
		boot_error(r, &v, rc, "the kernel did not reach the job", o->boot_timeout);
	else {
		const char *k = strstr(v.out, "SNAPFORK-KERNEL ") + 16;
		snprintf(r->uname, sizeof r->uname, "%.*s", (int)strcspn(k, "\r\n"), k);
		rc = vm_wait(&v, has, "SNAPFORK-JOB-DONE", (int)job_limit * 1000);
		if (rc < 0)
			boot_error(r, &v, rc, "the job did not finish", job_limit);
		else
			vm_reap(&v, 20000); /* it powers off */
	}
	vm_stop(&v);
	judge_remove_tree(base);
	char con[4400];
	snprintf(con, sizeof con, "%s/console.log", r->dir);
	int fd = open(con, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0 && v.out && write(fd, v.out, v.len) < 0)
		rc = rc < 0 ? rc : -EIO;
	if (fd >= 0)
		close(fd);
	free(v.out);
	return rc < 0 ? -1 : 0;
}

void kern_run_guest(const struct kern_opts *o, const char *self, const char *spec,
		    struct kern_result *r)
{
	char image[4096], mods[4096], job[4300], initrd[4300], disk[4300], log[4300];
	const char *legs[KERN_MAX_LEGS];
	size_t n = kern_jobs(o, r->label, legs, KERN_MAX_LEGS);
	if (locate(o, spec, r, image, mods, sizeof image) < 0)
		return;
	if (write_job(o, self, r, job, sizeof job) < 0) {
		snprintf(r->error, sizeof r->error, "%s: %s", job, strerror(errno));
		return;
	}
	snprintf(initrd, sizeof initrd, "%s/initrd.img", r->dir);
	snprintf(log, sizeof log, "%s/rootfs.log", r->dir);
	char *argv[] = { SNAPFORK_SOURCE_DIR "/suites/vm/rootfs.sh", initrd, mods, job,
			 (char *)self, SNAPFORK_SOURCE_DIR, NULL };
	if (kern_spawn(argv, log) != 0) {
		snprintf(r->error, sizeof r->error, "cannot make the initramfs (see %s)", log);
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
	struct vm_guest g = { o->qemu, image, initrd, o->mem_mib };
	if (run_vm(o, r, &g, disk) < 0)
		return;
	char err[600];
	if (read_results(disk, r->dir, err, sizeof err) < 0) {
		snprintf(r->error, sizeof r->error, "the results disk: %s", err);
		return;
	}
	unlink(disk);
	unlink(initrd);
	FILE *f = fopen(strcat(strcpy(log, r->dir), "/rc"), "r");
	if (!f || fscanf(f, "%d", &r->job_rc) != 1)
		r->job_rc = -1;
	if (f)
		fclose(f);
	if (!o->job)
		kern_read_results(r, legs, n);
}
