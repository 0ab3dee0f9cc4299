/* cmd_matrix.c - snapfork matrix: every property on real, fresh
 * filesystems, and the conditions that force each fallback, as root.
 *
 * Each leg makes its filesystems (loop images, tmpfs, an overlay), probes
 * what they can do by trying it, runs the conformance check there, and
 * always unmounts and detaches what it made: after each leg, at exit, and
 * on SIGINT/SIGTERM.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_run.h"
#include "cli.h"

#define MAX_MOUNTS 16
#define NOBODY     65534

/* What is mounted right now, newest last: undone on every exit path. */
static struct {
	char path[PATH_MAX];
	char image[PATH_MAX]; /* loop image to delete, or "" */
} mounts[MAX_MOUNTS];
static int nmounts;
static int saved_protected_hardlinks = -1;
static double t_start;
static FILE *leg_log;

static double elapsed(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 - t_start;
}

__attribute__((format(printf, 2, 3))) static void progress(const char *leg, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "[%6.1fs] %-20s ", elapsed(), leg);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* A command through /bin/sh, its output appended to the leg's log. */
static char leg_log_path[PATH_MAX];

__attribute__((format(printf, 1, 2))) static int sh(const char *fmt, ...)
{
	char cmd[8192], full[8192 + PATH_MAX + 32];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	if (leg_log) {
		fprintf(leg_log, "$ %s\n", cmd);
		fflush(leg_log);
	}
	snprintf(full, sizeof full, "(%s) >>'%s' 2>&1", cmd, leg_log ? leg_log_path : "/dev/null");
	int r = system(full);
	return r == -1 ? -1 : WIFEXITED(r) ? WEXITSTATUS(r) : 128;
}

static void unmount_all(void)
{
	while (nmounts > 0) {
		nmounts--;
		/* mount -o loop sets autoclear: the loop device goes with it. */
		if (umount2(mounts[nmounts].path, 0) < 0 && errno != EINVAL && errno != ENOENT)
			umount2(mounts[nmounts].path, MNT_DETACH);
		if (mounts[nmounts].image[0])
			unlink(mounts[nmounts].image);
	}
	if (saved_protected_hardlinks >= 0) {
		FILE *f = fopen("/proc/sys/fs/protected_hardlinks", "w");
		if (f) {
			fprintf(f, "%d\n", saved_protected_hardlinks);
			fclose(f);
		}
		saved_protected_hardlinks = -1;
	}
}

static char matrix_base[64]; /* our scratch, removed even on a signal */

static void on_signal(int sig)
{
	unmount_all();
	/* Not async-signal-safe, but we are about to die by this signal. */
	if (matrix_base[0])
		sfc_remove_tree(matrix_base);
	signal(sig, SIG_DFL);
	cli_coverage_flush();
	raise(sig);
}

static int remember(const char *path, const char *image)
{
	if (nmounts == MAX_MOUNTS)
		return -1;
	snprintf(mounts[nmounts].path, sizeof mounts[0].path, "%s", path);
	snprintf(mounts[nmounts].image, sizeof mounts[0].image, "%s", image ? image : "");
	nmounts++;
	return 0;
}

/* A fresh filesystem at base/name/mnt; "tmpfs" needs no image. */
static int make_fs(const char *base, const char *name, const char *fs, const char *mkfs_opts,
		   char *mnt, size_t len, char *why, size_t wlen)
{
	char dir[PATH_MAX], image[PATH_MAX + 16];
	snprintf(dir, sizeof dir, "%s/%s", base, name);
	snprintf(mnt, len, "%s/mnt", dir);
	snprintf(image, sizeof image, "%s/image", dir);
	if (mkdir(dir, 0755) < 0 || mkdir(mnt, 0755) < 0) {
		snprintf(why, wlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (strcmp(fs, "tmpfs") == 0) {
		if (mount("tmpfs", mnt, "tmpfs", 0, mkfs_opts) < 0) {
			snprintf(why, wlen, "mount -t tmpfs -o %s: %s", mkfs_opts, strerror(errno));
			return -1;
		}
		return remember(mnt, NULL);
	}
	if (sh("command -v mkfs.%s", fs) != 0) {
		snprintf(why, wlen, "mkfs.%s is not installed", fs);
		return -1;
	}
	if (sh("truncate -s 1G '%s' && mkfs.%s %s '%s'", image, fs, mkfs_opts, image) != 0) {
		snprintf(why, wlen, "mkfs.%s %s failed (see the leg's log)", fs, mkfs_opts);
		return -1;
	}
	if (sh("mount -o loop '%s' '%s'", image, mnt) != 0) {
		snprintf(why, wlen, "mounting the %s image failed (see the leg's log)", fs);
		unlink(image);
		return -1;
	}
	chmod(mnt, 0755);
	return remember(mnt, image);
}

/* ---- the legs' hooks ---- */

struct leg_ctx {
	const char *base; /* the leg's working directory (for overlay layers) */
	int n;            /* overlay mounts made */
	unsigned long link_max;
};

static int mem_path(const struct sff_fixture *f, const char *snap, char *out, size_t len)
{
	if (!f->mem_file || f->compressed_mem_file)
		return -1;
	snprintf(out, len, "%s/%s", snap, f->mem_file);
	return 0;
}

static int set_immutable(const char *path, int on)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK);
	int flags = 0, r = -1;
	if (fd >= 0 && ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0) {
		flags = on ? flags | FS_IMMUTABLE_FL : flags & ~FS_IMMUTABLE_FL;
		r = ioctl(fd, FS_IOC_SETFLAGS, &flags);
	}
	if (fd >= 0)
		close(fd);
	return r;
}

static int immutable_prepare(void *ctx, const struct sff_fixture *f, const char *snap, char *err,
			     size_t len)
{
	(void)ctx;
	char mem[PATH_MAX * 2];
	if (mem_path(f, snap, mem, sizeof mem) < 0)
		return 0;
	if (set_immutable(mem, 1) < 0) {
		snprintf(err, len, "%s: chattr +i: %s", mem, strerror(errno));
		return -errno;
	}
	return 0;
}

static void immutable_unprepare(void *ctx, const struct sff_fixture *f, const char *snap)
{
	(void)ctx;
	char mem[PATH_MAX * 2];
	if (mem_path(f, snap, mem, sizeof mem) == 0)
		set_immutable(mem, 0);
}

/* fs.protected_hardlinks: an unprivileged user may not link a file it
 * neither owns nor can read and write (fs/namei.c, may_linkat). */
static int protected_prepare(void *ctx, const struct sff_fixture *f, const char *snap, char *err,
			     size_t len)
{
	(void)ctx;
	char mem[PATH_MAX * 2], dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", snap);
	*strrchr(dir, '/') = '\0';
	if (sh("chmod 0755 '%s' && chown -R %d:%d '%s'", dir, NOBODY, NOBODY, dir) != 0) {
		snprintf(err, len, "%s: chown to the unprivileged user failed", dir);
		return -EPERM;
	}
	if (mem_path(f, snap, mem, sizeof mem) == 0 &&
	    (chown(mem, 0, 0) < 0 || chmod(mem, 0644) < 0)) {
		snprintf(err, len, "%s: %s", mem, strerror(errno));
		return -errno;
	}
	return 0;
}

/* Links up to the filesystem's limit, beside the snapshot (ext4: 65000). */
static int linklimit_prepare(void *arg, const struct sff_fixture *f, const char *snap, char *err,
			     size_t len)
{
	struct leg_ctx *ctx = arg;
	char mem[PATH_MAX * 2], dir[PATH_MAX * 2 + 16];
	if (mem_path(f, snap, mem, sizeof mem) < 0)
		return 0;
	snprintf(dir, sizeof dir, "%s/../links", snap);
	struct stat st;
	if (mkdir(dir, 0755) < 0 || stat(mem, &st) < 0) {
		snprintf(err, len, "%s: %s", dir, strerror(errno));
		return -errno;
	}
	for (unsigned long i = st.st_nlink; i < ctx->link_max; i++) {
		char name[PATH_MAX * 2 + 64];
		snprintf(name, sizeof name, "%s/%lu", dir, i);
		if (link(mem, name) < 0) {
			snprintf(err, len, "%s: link number %lu: %s", mem, i + 1, strerror(errno));
			return -errno;
		}
	}
	return 0;
}

/* The snapshot in an overlay's lower layer, the fork through the overlay. */
static int overlay_extract(void *arg, const struct sff_fixture *f, const char *dir, char *err,
			   size_t len)
{
	struct leg_ctx *ctx = arg;
	char lower[PATH_MAX], upper[PATH_MAX], work[PATH_MAX], snap[PATH_MAX + 8],
		opts[3 * PATH_MAX + 64];
	int n = ctx->n++;
	snprintf(lower, sizeof lower, "%s/lower%d", ctx->base, n);
	snprintf(upper, sizeof upper, "%s/upper%d", ctx->base, n);
	snprintf(work, sizeof work, "%s/work%d", ctx->base, n);
	snprintf(snap, sizeof snap, "%s/snap", lower);
	if (mkdir(lower, 0755) < 0 || mkdir(upper, 0755) < 0 || mkdir(work, 0755) < 0) {
		snprintf(err, len, "%s: %s", lower, strerror(errno));
		return -errno;
	}
	int r = sff_extract(f->tar, snap, f->sockets, err, len);
	if (r < 0)
		return r;
	snprintf(opts, sizeof opts, "lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work);
	if (mount("overlay", dir, "overlay", 0, opts) < 0) {
		snprintf(err, len, "mount -t overlay -o %s: %s", opts, strerror(errno));
		return -errno;
	}
	return remember(dir, NULL);
}

static void overlay_release(void *ctx, const char *dir)
{
	(void)ctx;
	for (int i = nmounts - 1; i >= 0; i--) {
		if (strcmp(mounts[i].path, dir) == 0) {
			if (umount2(dir, 0) < 0)
				umount2(dir, MNT_DETACH);
			memmove(&mounts[i], &mounts[i + 1],
				(size_t)(nmounts - i - 1) * sizeof mounts[0]);
			nmounts--;
		}
	}
}

/* ENOSPC: fill the filesystem so the non-mem files no longer fit. */
static int enospc_plant(void *ctx, const char *snap, char *err, size_t len)
{
	(void)ctx;
	char filler[PATH_MAX + 16];
	snprintf(filler, sizeof filler, "%s/../filler", snap);
	struct statvfs sv;
	int fd = open(filler, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || fstatvfs(fd, &sv) < 0) {
		snprintf(err, len, "%s: %s", filler, strerror(errno));
		return -errno;
	}
	off_t room = (off_t)(sv.f_bavail * sv.f_frsize);
	int r = room > 8192 ? posix_fallocate(fd, 0, room - 8192) : 0;
	close(fd);
	if (r != 0) {
		snprintf(err, len, "%s: fallocate: %s", filler, strerror(r));
		return -r;
	}
	return 0;
}

/* ---- the legs ---- */

enum leg_kind {
	LEG_FS,
	LEG_OVERLAY,
	LEG_XDEV,
	LEG_IMMUTABLE,
	LEG_PROTECTED,
	LEG_LINKLIMIT,
	LEG_ENOSPC
};

static const struct leg {
	const char *name;
	enum leg_kind kind;
	const char *fs, *mkfs_opts; /* tmpfs: mount options */
	const char *fixtures;       /* space-separated, "" for all */
	const char *what;           /* the fallback or condition it forces */
} legs[] = {
	{ "ext4", LEG_FS, "ext4", "-q -F", "", "" },
	{ "xfs-reflink", LEG_FS, "xfs", "-q -f -m reflink=1", "", "" },
	{ "xfs-noreflink", LEG_FS, "xfs", "-q -f -m reflink=0", "", "" },
	{ "btrfs", LEG_FS, "btrfs", "-q -f", "", "" },
	{ "tmpfs", LEG_FS, "tmpfs", "size=2g,mode=0755", "", "" },
	{ "overlay", LEG_OVERLAY, "ext4", "-q -F", "",
	  "snapshot in the lower layer; link() copies the mem-file up" },
	{ "xdev", LEG_XDEV, "ext4", "-q -F", "", "fork on another filesystem: EXDEV" },
	{ "immutable", LEG_IMMUTABLE, "ext4", "-q -F", "ch-raw qemu-raw edge",
	  "chattr +i mem-file: EPERM" },
	{ "protected-hardlinks", LEG_PROTECTED, "ext4", "-q -F", "ch-raw qemu-raw",
	  "fs.protected_hardlinks=1, fork as uid 65534: EPERM" },
	{ "link-limit", LEG_LINKLIMIT, "ext4", "-q -F", "qemu-raw",
	  "mem-file at the link limit: EMLINK" },
	{ "enospc", LEG_ENOSPC, "tmpfs", "size=4m,mode=0755", "qemu-raw",
	  "a filesystem too small for the non-mem files: ENOSPC, nothing left" },
};
#define NLEGS (sizeof legs / sizeof legs[0])

struct leg_result {
	const struct leg *leg;
	struct check_run run;
	char error[1200]; /* the leg could not be set up: an error, not a skip */
	char mnt_opts[512];
	double seconds;
	char log[PATH_MAX];
};

static int pick_fixtures(const struct leg *leg, struct sff_fixture *all, size_t n,
			 struct sff_fixture **out, size_t *nout)
{
	*out = calloc(n, sizeof **out);
	*nout = 0;
	for (size_t i = 0; i < n; i++) {
		char key[80];
		snprintf(key, sizeof key, " %s ", all[i].name);
		char list[256];
		snprintf(list, sizeof list, " %s ", leg->fixtures);
		if (!leg->fixtures[0] || strstr(list, key))
			(*out)[(*nout)++] = all[i]; /* shallow: owned by all */
	}
	return 0;
}

static const struct sff_fixture *first_raw(const struct sff_fixture *fx, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fx[i].kind && strcmp(fx[i].kind, "raw") == 0 && strcmp(fx[i].name, "deep") != 0)
			return &fx[i];
	return n ? &fx[0] : NULL;
}

struct matrix_opts {
	const char *legs, *tmpl, *junit, *artifacts, *self;
};

static int run_leg(const struct matrix_opts *o, const struct leg *leg, struct sff_fixture *all,
		   size_t nall, const char *base, struct leg_result *lr)
{
	char dir[PATH_MAX], mnt[PATH_MAX], mnt2[PATH_MAX], scratch[PATH_MAX + 16];
	char fork_dir[PATH_MAX + 16];
	snprintf(dir, sizeof dir, "%s/%s", base, leg->name);
	snprintf(lr->log, sizeof lr->log, "%s/%s.log", base, leg->name);
	mkdir(dir, 0755);
	leg_log = fopen(lr->log, "w");
	snprintf(leg_log_path, sizeof leg_log_path, "%s", lr->log);
	progress(leg->name, "making %s (%s %s)", leg->fs,
		 leg->kind == LEG_FS && !strcmp(leg->fs, "tmpfs") ? "mount -o" : "mkfs",
		 leg->mkfs_opts);
	if (make_fs(dir, "a", leg->fs, leg->mkfs_opts, mnt, sizeof mnt, lr->error,
		    sizeof lr->error) < 0)
		return -1;
	snprintf(scratch, sizeof scratch, "%s/scratch", mnt);
	mkdir(scratch, 0755);
	const char *fork_at = NULL;
	if (leg->kind == LEG_XDEV) {
		progress(leg->name, "making xfs for the forks (mkfs -q -f)");
		if (make_fs(dir, "b", "xfs", "-q -f", mnt2, sizeof mnt2, lr->error,
			    sizeof lr->error) < 0)
			return -1;
		snprintf(fork_dir, sizeof fork_dir, "%s/forks", mnt2);
		mkdir(fork_dir, 0755);
		fork_at = fork_dir;
	}
	struct leg_ctx ctx = { mnt, 0, 0 };
	struct sfc_hooks hooks = { .ctx = &ctx };
	struct fork_cmd fc = { o->tmpl, 0, 0, 0 };
	static char self_tmpl[PATH_MAX + 64]; /* lives on in the run's fork_desc */
	switch (leg->kind) {
	case LEG_OVERLAY:
		hooks.extract = overlay_extract;
		hooks.release = overlay_release;
		break;
	case LEG_IMMUTABLE:
		hooks.prepare = immutable_prepare;
		hooks.unprepare = immutable_unprepare;
		hooks.link_refused = 1;
		break;
	case LEG_PROTECTED: {
		FILE *f = fopen("/proc/sys/fs/protected_hardlinks", "r+");
		if (!f || fscanf(f, "%d", &saved_protected_hardlinks) != 1 ||
		    fseek(f, 0, SEEK_SET) || fputs("1\n", f) < 0 || fclose(f) != 0) {
			snprintf(lr->error, sizeof lr->error,
				 "cannot set fs.protected_hardlinks: %s", strerror(errno));
			return -1;
		}
		hooks.prepare = protected_prepare;
		hooks.link_refused = 1;
		/* The fork runs as an unprivileged user: the reference one as
		 * this very binary's `fork`, a --fork-cmd as given. */
		snprintf(self_tmpl, sizeof self_tmpl, "'%s' fork {src} {dst}", o->self);
		fc = (struct fork_cmd){ o->tmpl ? o->tmpl : self_tmpl, NOBODY, NOBODY, 1 };
		chmod(scratch, 0755);
		break;
	}
	case LEG_LINKLIMIT: {
		long max = pathconf(mnt, _PC_LINK_MAX);
		if (max <= 0 || max > 1000000) {
			snprintf(lr->error, sizeof lr->error,
				 "the filesystem's link limit is unknown");
			return -1;
		}
		ctx.link_max = (unsigned long)max;
		hooks.prepare = linklimit_prepare;
		hooks.link_refused = 1;
		break;
	}
	case LEG_ENOSPC:
		hooks.plant = enospc_plant;
		break;
	default:
		break;
	}
	check_describe(&lr->run, scratch);
	snprintf(lr->mnt_opts, sizeof lr->mnt_opts, "%s", lr->run.mount_options);
	progress(leg->name, "%s: %s", lr->run.fstype, lr->run.capabilities);
	struct sff_fixture *fx;
	size_t n;
	pick_fixtures(leg, all, nall, &fx, &n);
	struct sfc_conform c = {
		scratch, fork_at, fc.tmpl || fc.as_user ? check_fork_cmd : check_fork_ref,
		&fc,     0,       &hooks
	};
	lr->run.fork_desc = fc.tmpl ? fc.tmpl : "reference library";
	progress(leg->name, "checking %zu fixture%s%s", leg->kind == LEG_ENOSPC ? 0 : n,
		 n == 1 ? "" : "s",
		 leg->kind == LEG_ENOSPC || leg->kind == LEG_FS || leg->kind == LEG_OVERLAY
			 ? " + a refusal"
			 : "");
	const struct sff_fixture *refusal =
		leg->kind == LEG_FS || leg->kind == LEG_OVERLAY || leg->kind == LEG_ENOSPC
			? first_raw(fx, n)
			: NULL;
	int r = check_run_fixtures(&lr->run, &c, fx, leg->kind == LEG_ENOSPC ? 0 : n, refusal);
	free(fx);
	if (r < 0)
		snprintf(lr->error, sizeof lr->error, "%s", lr->run.setup_error);
	if (leg_log) {
		/* The full table and details go to the leg's log. */
		fflush(stdout);
		int saved = dup(1);
		dup2(fileno(leg_log), 1);
		check_print_table(&lr->run);
		fflush(stdout);
		dup2(saved, 1);
		close(saved);
	}
	return r;
}

static const char *cell_of(const struct leg_result *lr, int rule, unsigned *counts)
{
	int pass = 0, fail = 0, warn = 0, skip = 0;
	for (size_t i = 0; i < lr->run.n; i++) {
		enum sfc_cell c = lr->run.rows[i].cell[rule];
		pass += c == SFC_PASS;
		skip += c == SFC_SKIP;
		if (c == SFC_FAIL)
			sfc_rule_is_should(rule) ? warn++ : fail++;
	}
	counts[0] += (unsigned)pass, counts[1] += (unsigned)fail, counts[2] += (unsigned)skip;
	return fail ? "FAIL" : warn ? "warn" : pass ? "pass" : skip ? "skip" : "-";
}

static double median_fork_ms(const struct check_run *run)
{
	double v[64];
	size_t n = 0;
	for (size_t i = 0; i < run->n && n < 64; i++)
		if (strncmp(run->rows[i].name, "refusal:", 8) != 0 || run->n == 1)
			v[n++] = run->rows[i].fork_ms;
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
			double t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return n ? v[n / 2] : 0;
}

/* The errno names the forks reported in their notes, e.g. "EXDEV", once
 * each: "(EXDEV: ...)" after a fallback, or why a refusal row failed. */
static void fallbacks(const struct check_run *run, char *out, size_t len)
{
	out[0] = '\0';
	for (size_t i = 0; i < run->n; i++) {
		const char *note = run->rows[i].note;
		for (const char *p = note; p && (p = strstr(p, "(E")); p++) {
			size_t n = strspn(p + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
			if (p[1 + n] != ':')
				continue;
			char what[40];
			snprintf(what, sizeof what, "%s%.*s",
				 strncmp(run->rows[i].name, "refusal:", 8) == 0 ? "refused: " : "",
				 (int)n, p + 1);
			if (!strstr(out, what))
				snprintf(out + strlen(out), len - strlen(out), "%s%s",
					 *out ? ", " : "", what);
		}
	}
}

static void print_summary(struct leg_result *lr, size_t n)
{
	printf("\n%-20s", "leg");
	for (int rule = 1; rule <= 13; rule++)
		printf(" F%-4d", rule);
	printf(" %-9s %s\n", "fork", "fallback seen");
	unsigned counts[3] = { 0 };
	for (size_t i = 0; i < n; i++) {
		printf("%-20s", lr[i].leg->name);
		if (lr[i].error[0]) {
			printf(" ERROR: %s\n", lr[i].error);
			continue;
		}
		for (int rule = 1; rule <= 13; rule++)
			printf(" %-5s", cell_of(&lr[i], rule, counts));
		char fb[256];
		fallbacks(&lr[i].run, fb, sizeof fb);
		printf(" %6.1f ms %s\n", median_fork_ms(&lr[i].run), fb[0] ? fb : "-");
	}
	printf("\n");
	for (size_t i = 0; i < n; i++) {
		if (lr[i].error[0])
			continue;
		printf("%-20s %s, %s; %.1f s%s%s\n", lr[i].leg->name, lr[i].run.fstype,
		       lr[i].run.capabilities, lr[i].seconds,
		       lr[i].leg->what[0] ? "; forces: " : "", lr[i].leg->what);
	}
	/* Skips say why; failures say what. */
	for (size_t i = 0; i < n; i++) {
		for (size_t r = 0; r < lr[i].run.n; r++) {
			const struct sfc_row *row = &lr[i].run.rows[r];
			for (int rule = 1; rule <= 13; rule++) {
				if (row->cell[rule] != SFC_SKIP && row->cell[rule] != SFC_FAIL)
					continue;
				const char *d = row->detail[rule] ? row->detail[rule] : "";
				printf("  %s/%s F%d %s: %.*s\n", lr[i].leg->name, row->name, rule,
				       row->cell[rule] == SFC_SKIP ? "skip" : "FAIL",
				       (int)strcspn(d, "\n"), d);
			}
		}
	}
	printf("\nmatrix: %zu legs, %u pass, %u FAIL, %u skip\n", n, counts[0], counts[1],
	       counts[2]);
}

static int leg_failed(const struct leg_result *lr)
{
	if (lr->error[0])
		return 1;
	for (size_t i = 0; i < lr->run.n; i++)
		if (sfc_row_failed(&lr->run.rows[i]))
			return 1;
	return 0;
}

/* For a failed leg: its log, a tar of each kept tree, and the command. */
static void save_artifacts(const struct matrix_opts *o, struct leg_result *lr)
{
	mkdir(o->artifacts, 0755);
	char dst[PATH_MAX + 64], err[512];
	snprintf(dst, sizeof dst, "%s/%s.log", o->artifacts, lr->leg->name);
	sh("cp '%s' '%s'", lr->log, dst);
	for (size_t i = 0; i < lr->run.n; i++) {
		const struct sfc_row *row = &lr->run.rows[i];
		if (!row->kept)
			continue;
		char tar[PATH_MAX + 128];
		snprintf(tar, sizeof tar, "%s/%s-%s.tar", o->artifacts, lr->leg->name, row->name);
		for (char *p = tar + strlen(o->artifacts) + 1; *p; p++)
			if (*p == ':')
				*p = '-';
		if (sff_capture(row->kept, tar, 0, err, sizeof err) < 0)
			fprintf(stderr, "matrix: %s: %s\n", tar, err);
	}
	printf("%s: FAILED; log and trees in %s; rerun just this leg with:\n  snapfork matrix "
	       "--legs %s%s%s%s\n",
	       lr->leg->name, o->artifacts, lr->leg->name, o->tmpl ? " --fork-cmd '" : "",
	       o->tmpl ? o->tmpl : "", o->tmpl ? "'" : "");
}

static int write_junit(const char *path, struct leg_result *lr, size_t n)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -errno;
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n", f);
	for (size_t i = 0; i < n; i++) {
		char suite[128];
		snprintf(suite, sizeof suite, "snapfork matrix: %s", lr[i].leg->name);
		const char *props[] = {
			"leg",          lr[i].leg->name,      "mkfs",   lr[i].leg->fs,
			"mkfs_options", lr[i].leg->mkfs_opts, "forces", lr[i].leg->what,
			"setup_error",  lr[i].error,          NULL
		};
		check_junit_suite(f, &lr[i].run, suite, props);
	}
	fputs("</testsuites>\n", f);
	return cli_fclose(f);
}

static const char usage[] =
	"usage: snapfork matrix [--legs LIST] [--fork-cmd TEMPLATE] [--junit FILE] [--artifacts "
	"DIR]\n"
	"  As root: make each leg's filesystems on fresh loop images or mounts, run the\n"
	"  conformance check there, print legs x rules, always unmount and detach.\n"
	"  Legs: ext4 xfs-reflink xfs-noreflink btrfs tmpfs overlay xdev immutable\n"
	"        protected-hardlinks link-limit enospc (LIST: comma-separated; default all)\n";

int cmd_matrix(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "legs", required_argument, NULL, 'l' },
		{ "fork-cmd", required_argument, NULL, 'c' },
		{ "junit", required_argument, NULL, 'j' },
		{ "artifacts", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct matrix_opts o = { NULL, NULL, NULL, "snapfork-matrix-artifacts", NULL };
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			o.legs = optarg;
			break;
		case 'c':
			o.tmpl = optarg;
			break;
		case 'j':
			o.junit = optarg;
			break;
		case 'a':
			o.artifacts = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error("matrix", "bad option", NULL);
		}
	}
	if (optind != argc)
		return cli_usage_error("matrix", "unexpected argument", argv[optind]);
	if (o.tmpl && (!strstr(o.tmpl, "{src}") || !strstr(o.tmpl, "{dst}")))
		return cli_usage_error("matrix", "--fork-cmd needs {src} and {dst}", NULL);
	const struct leg *chosen[NLEGS];
	size_t nchosen = 0;
	for (size_t i = 0; i < NLEGS; i++) {
		char key[64], list[1024];
		snprintf(key, sizeof key, ",%s,", legs[i].name);
		snprintf(list, sizeof list, ",%s,", o.legs ? o.legs : "");
		if (!o.legs || strstr(list, key))
			chosen[nchosen++] = &legs[i];
	}
	if (nchosen == 0)
		return cli_usage_error("matrix", "no such leg (see snapfork matrix --help)",
				       o.legs);
	if (geteuid() != 0) {
		fprintf(stderr,
			"snapfork matrix: needs root: it makes loop devices, runs mkfs and mounts "
			"filesystems (the ordinary tests run without it)\n");
		return EXIT_USAGE;
	}
	static char self[PATH_MAX];
	ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
	self[sl > 0 ? sl : 0] = '\0';
	o.self = self;
	struct sff_fixture *fx;
	size_t nfx;
	char err[1024];
	if (sff_fixtures_list(&fx, &nfx, err, sizeof err) < 0) {
		fprintf(stderr, "snapfork matrix: %s\n", err);
		return EXIT_USAGE;
	}
	char base[] = "/var/tmp/snapfork-matrix.XXXXXX";
	if (!mkdtemp(base)) {
		cli_error("matrix", base, "cannot create", -errno);
		sff_fixtures_free(fx, nfx);
		return EXIT_USAGE;
	}
	chmod(base, 0755);
	snprintf(matrix_base, sizeof matrix_base, "%s", base);
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t_start = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	atexit(unmount_all);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	struct leg_result *lr = calloc(nchosen, sizeof *lr);
	int rc = EXIT_OK;
	for (size_t i = 0; i < nchosen; i++) {
		lr[i].leg = chosen[i];
		double t0 = elapsed();
		if (run_leg(&o, chosen[i], fx, nfx, base, &lr[i]) < 0 && !lr[i].error[0])
			snprintf(lr[i].error, sizeof lr[i].error, "setup failed");
		lr[i].seconds = elapsed() - t0;
		progress(chosen[i]->name, lr[i].error[0] ? "ERROR: %s" : "done", lr[i].error);
		if (leg_failed(&lr[i])) {
			rc = EXIT_FAIL;
			save_artifacts(&o, &lr[i]);
		}
		unmount_all();
		if (leg_log) {
			fclose(leg_log);
			leg_log = NULL;
		}
	}
	print_summary(lr, nchosen);
	int w;
	if (o.junit && (w = write_junit(o.junit, lr, nchosen)) < 0) {
		cli_error("matrix", o.junit, "cannot write JUnit XML", w);
		rc = EXIT_USAGE;
	}
	for (size_t i = 0; i < nchosen; i++) {
		for (size_t r = 0; r < lr[i].run.n; r++)
			sfc_row_free(&lr[i].run.rows[r]);
		free(lr[i].run.rows);
	}
	free(lr);
	sff_fixtures_free(fx, nfx);
	sfc_remove_tree(base);
	return rc;
}
