/* legs.c - the matrix's legs: the table, each leg's hooks into the
 * conformance check (the condition it sets up), and running one leg. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "child.h"
#include "forkcmd.h"
#include "matrix.h"

const struct leg matrix_legs[] = {
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
	  "fs.protected_hardlinks=1, fork as uid 65534 (+CAP_DAC_READ_SEARCH): EPERM" },
	{ "link-limit", LEG_LINKLIMIT, "ext4", "-q -F", "qemu-raw",
	  "mem-file at the link limit: EMLINK" },
	{ "enospc", LEG_ENOSPC, "tmpfs", "size=4m,mode=0755", "qemu-raw",
	  "a filesystem too small for the non-mem files: ENOSPC, nothing left" },
};
const size_t matrix_nlegs = sizeof matrix_legs / sizeof matrix_legs[0];

struct leg_ctx {
	const char *base; /* the leg's working directory (for overlay layers) */
	int n;            /* overlay mounts made */
	unsigned long link_max;
};

static int mem_path(const struct fixture *f, const char *snap, char *out, size_t len)
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

static int immutable_prepare(void *ctx, const struct fixture *f, const char *snap, char *err,
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

static void immutable_unprepare(void *ctx, const struct fixture *f, const char *snap)
{
	(void)ctx;
	char mem[PATH_MAX * 2];
	if (mem_path(f, snap, mem, sizeof mem) == 0)
		set_immutable(mem, 0);
}

/* fs.protected_hardlinks: an unprivileged user may not link a file it
 * neither owns nor can read and write (fs/namei.c, may_linkat). */
static int protected_prepare(void *ctx, const struct fixture *f, const char *snap, char *err,
			     size_t len)
{
	(void)ctx;
	char mem[PATH_MAX * 2], dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", snap);
	*strrchr(dir, '/') = '\0';
	if (matrix_sh("chmod 0755 '%s' && chown -R %d:%d '%s'", dir, MATRIX_NOBODY, MATRIX_NOBODY, dir) != 0) {
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
static int linklimit_prepare(void *arg, const struct fixture *f, const char *snap, char *err,
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

/* The snapshot in an overlay's lower layer, the fork through the overlay
 * mounted on dir: the snapshot is dir/snap (this leg's rows run at no
 * other place: conform/run.c). */
static int overlay_extract(void *arg, const struct fixture *f, const char *dir,
			   const char *at, char *err, size_t len)
{
	(void)at;
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
	int r = fixture_extract(f->tar, snap, f->sockets, err, len);
	if (r < 0)
		return r;
	snprintf(opts, sizeof opts, "lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work);
	if (mount("overlay", dir, "overlay", 0, opts) < 0) {
		snprintf(err, len, "mount -t overlay -o %s: %s", opts, strerror(errno));
		return -errno;
	}
	return matrix_remember(dir);
}

static void overlay_release(void *ctx, const char *dir)
{
	(void)ctx;
	matrix_release(dir);
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

static int pick_fixtures(const struct leg *leg, struct fixture *all, size_t n,
			 struct fixture **out, size_t *nout)
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

static const struct fixture *first_raw(const struct fixture *fx, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fx[i].kind && strcmp(fx[i].kind, "raw") == 0 && strcmp(fx[i].name, "deep") != 0)
			return &fx[i];
	return n ? &fx[0] : NULL;
}

/* What a leg sets up: its filesystems, the hooks that set its condition
 * and the fork implementation, as the conformance check takes them. */
struct leg_setup {
	char mnt[PATH_MAX], mnt2[PATH_MAX], scratch[PATH_MAX + 16], fork_dir[PATH_MAX + 16];
	const char *fork_at; /* NULL: forks beside the snapshot */
	struct leg_ctx ctx;
	struct conform_hooks hooks;
	struct forkcmd fc;
	char self_tmpl[PATH_MAX + 64];
};

/* The filesystem under test, and for xdev a second one for the forks. */
static int make_leg_fs(const struct leg *leg, const char *dir, struct leg_setup *ls,
		       struct leg_result *lr)
{
	matrix_progress(leg->name, "making %s (%s %s)", leg->fs,
			leg->kind == LEG_FS && !strcmp(leg->fs, "tmpfs") ? "mount -o" : "mkfs",
			leg->mkfs_opts);
	if (matrix_make_fs(dir, "a", leg->fs, leg->mkfs_opts, ls->mnt, sizeof ls->mnt, lr->error,
			   sizeof lr->error) < 0)
		return -1;
	snprintf(ls->scratch, sizeof ls->scratch, "%s/scratch", ls->mnt);
	mkdir(ls->scratch, 0755);
	if (leg->kind != LEG_XDEV)
		return 0;
	matrix_progress(leg->name, "making xfs for the forks (mkfs -q -f)");
	if (matrix_make_fs(dir, "b", "xfs", "-q -f", ls->mnt2, sizeof ls->mnt2, lr->error,
			   sizeof lr->error) < 0)
		return -1;
	snprintf(ls->fork_dir, sizeof ls->fork_dir, "%s/forks", ls->mnt2);
	mkdir(ls->fork_dir, 0755);
	ls->fork_at = ls->fork_dir;
	return 0;
}

/* The leg's condition, as hooks into the conformance check. */
static int set_condition(const struct matrix_opts *o, const struct leg *leg, struct leg_setup *ls,
			 struct leg_result *lr)
{
	struct conform_hooks *h = &ls->hooks;
	int r;
	switch (leg->kind) {
	case LEG_OVERLAY:
		h->extract = overlay_extract;
		h->release = overlay_release;
		break;
	case LEG_IMMUTABLE:
		h->prepare = immutable_prepare;
		h->unprepare = immutable_unprepare;
		h->link_refused = 1;
		break;
	case LEG_PROTECTED:
		if ((r = matrix_protect_hardlinks()) < 0) {
			snprintf(lr->error, sizeof lr->error,
				 "cannot set fs.protected_hardlinks: %s", strerror(-r));
			return -1;
		}
		h->prepare = protected_prepare;
		h->link_refused = 1;
		/* The fork runs as an unprivileged user: the reference one as
		 * this very binary's `fork`, a --fork-cmd as given.  It keeps
		 * CAP_DAC_READ_SEARCH to reach the command and the scratch
		 * where a directory above them is private ("/" of mode 0700
		 * on some CI machines); linking still needs what that
		 * capability does not give (child.c, keep_dac_read_search). */
		snprintf(ls->self_tmpl, sizeof ls->self_tmpl, "'%s' fork {src} {dst}", o->self);
		ls->fc = (struct forkcmd){ .tmpl = o->tmpl ? o->tmpl : ls->self_tmpl,
					   .uid = MATRIX_NOBODY,
					   .gid = MATRIX_NOBODY,
					   .as_user = 1,
					   .keep_search = 1,
					   .timeout_s = o->fork_timeout };
		chmod(ls->scratch, 0755);
		break;
	case LEG_LINKLIMIT: {
		long max = pathconf(ls->mnt, _PC_LINK_MAX);
		if (max <= 0 || max > 1000000) {
			snprintf(lr->error, sizeof lr->error, "the filesystem's link limit is unknown");
			return -1;
		}
		ls->ctx.link_max = (unsigned long)max;
		h->prepare = linklimit_prepare;
		h->link_refused = 1;
		break;
	}
	case LEG_ENOSPC:
		h->plant = enospc_plant;
		break;
	default:
		break;
	}
	return 0;
}

/* Legs on a plain filesystem (or an overlay, or one too small) add a
 * refusal row: the fork must fail cleanly there too. */
static int has_refusal(const struct leg *leg)
{
	return leg->kind == LEG_FS || leg->kind == LEG_OVERLAY || leg->kind == LEG_ENOSPC;
}

static void set_repro(const struct matrix_opts *o, const struct leg *leg, struct conform_run *run)
{
	char limit[48] = "";
	char *q = o->tmpl ? child_sh_quote(o->tmpl) : NULL;
	if (o->fork_timeout)
		snprintf(limit, sizeof limit, " --fork-timeout %u", o->fork_timeout);
	int k = snprintf(run->repro, sizeof run->repro, "snapfork matrix --legs %s%s%s%s",
			 leg->name, q ? " --fork-cmd " : "", q ? q : "", limit);
	free(q);
	for (size_t x = 0; x < o->nexcl && k > 0 && (size_t)k < sizeof run->repro; x++) {
		char *w = child_sh_word(o->excludes[x]);
		k += snprintf(run->repro + k, sizeof run->repro - (size_t)k, " --exclude %s",
			      w ? w : o->excludes[x]);
		free(w);
	}
	run->repro_fixture = 0;
}

int matrix_run_leg(const struct matrix_opts *o, const struct leg *leg, struct fixture *all,
		   size_t nall, const char *base, struct leg_result *lr)
{
	char dir[PATH_MAX];
	struct leg_setup *ls = calloc(1, sizeof *ls);
	if (!ls)
		return -1;
	snprintf(dir, sizeof dir, "%s/%s", base, leg->name);
	snprintf(lr->log, sizeof lr->log, "%s/%s.log", base, leg->name);
	mkdir(dir, 0755);
	matrix_log_open(lr->log);
	set_repro(o, leg, &lr->run);
	ls->ctx = (struct leg_ctx){ ls->mnt, 0, 0 };
	ls->hooks.ctx = &ls->ctx;
	ls->fc = (struct forkcmd){ .tmpl = o->tmpl, .timeout_s = o->fork_timeout };
	int r = -1;
	if (make_leg_fs(leg, dir, ls, lr) < 0 || set_condition(o, leg, ls, lr) < 0)
		goto out;
	conform_describe(&lr->run, ls->scratch);
	matrix_progress(leg->name, "%s: %s", lr->run.fstype, lr->run.capabilities);
	struct fixture *fx;
	size_t n;
	pick_fixtures(leg, all, nall, &fx, &n);
	int cmd = ls->fc.tmpl || ls->fc.as_user;
	struct conform_setup c = { .scratch = ls->scratch,
				   .fork_dir = ls->fork_at,
				   .fork = cmd ? forkcmd_run : conform_fork_ref,
				   .ctx = &ls->fc,
				   .hooks = &ls->hooks,
				   .left = cmd ? forkcmd_left : NULL };
	snprintf(lr->fork_desc, sizeof lr->fork_desc, "%s",
		 ls->fc.tmpl ? ls->fc.tmpl : "reference library");
	lr->run.fork_desc = lr->fork_desc;
	size_t nfx = leg->kind == LEG_ENOSPC ? 0 : n;
	matrix_progress(leg->name, "checking %zu fixture%s%s", nfx, n == 1 ? "" : "s",
			has_refusal(leg) ? " + a refusal" : "");
	r = conform_run_fixtures(&lr->run, &c, fx, nfx, has_refusal(leg) ? first_raw(fx, n) : NULL);
	free(fx);
	if (r < 0)
		snprintf(lr->error, sizeof lr->error, "%s", lr->run.setup_error);
	if (matrix_log()) /* the full table and details go to the leg's log */
		conform_print_table(matrix_log(), &lr->run);
out:
	free(ls);
	return r;
}
