/* test_faults.c - every call the library makes, failed at every point,
 * and kills at every point (SQLite's way): after each run the fork either
 * succeeded through a documented fallback and is correct, or failed with
 * the injected errno and left nothing; the snapshot never changes and no
 * fd leaks (memory leaks: LeakSanitizer in the sanitizer build). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "judge.h"
#include "inject.h"
#include "internal.h"
#include "testtree.h"
#include "snapfork.h"

static const int errnos[] = { EXDEV,   EMLINK,     EPERM,  EEXIST, ENOSPC, EDQUOT,
			      EIO,     EOPNOTSUPP, ENOTTY, EINVAL, ENOSYS, EBADF,
			      ETXTBSY, ENOMEM,     EFBIG,  EINTR,  EAGAIN };
#define NERR (sizeof errnos / sizeof errnos[0])
static unsigned long errnos_seen; /* bit i: errnos[i] fired somewhere */

struct fx {
	char *dir;
	char raw[4200], packed[4200], dst[4200];
	struct judge_state raw_state, packed_state;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	char err[256];
	inj_audit_cloexec(1); /* every fork run() makes: its descriptors close-on-exec */
	f->dir = tt_scratch("faults");
	snprintf(f->raw, sizeof f->raw, "%s/raw", f->dir);
	snprintf(f->packed, sizeof f->packed, "%s/packed", f->dir);
	snprintf(f->dst, sizeof f->dst, "%s/fork", f->dir);
	tt_mkdir(f->dir, "raw", 0755);
	tt_snapshot(f->raw, "memory-ranges", 64 << 20);
	tt_mkdir(f->raw, "a", 0750);
	tt_text(f->raw, "a/empty", 0600, "");
	tt_mkdir(f->dir, "packed", 0755);
	tt_snapshot(f->packed, "memory", 8 << 20);
	tt_compress(f->packed, "memory", "memory.zst", 1);
	unlink(tt_p(f->packed, "memory"));
	if (judge_state_take(f->raw, &f->raw_state, err, sizeof err) < 0 ||
	    judge_state_take(f->packed, &f->packed_state, err, sizeof err) < 0)
		fail_msg("%s", err);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	judge_state_free(&f->raw_state);
	judge_state_free(&f->packed_state);
	tt_rm_rf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static void snapshot_unchanged(const char *src, const struct judge_state *before, const char *when)
{
	struct judge_state now;
	struct judge_result res = { 0 };
	char err[256];
	if (judge_state_take(src, &now, err, sizeof err) < 0)
		fail_msg("%s: %s", when, err);
	judge_state_compare(before, &now, &res);
	if (res.n)
		fail_msg("%s: F6 %s: %s", when, res.v[0].path, res.v[0].what);
	judge_state_free(&now);
	judge_result_free(&res);
}

/* A published fork must be right; a copied mem-file is the documented
 * fallback of a refused link. */
static void fork_correct_skip(const char *src, const char *dst, int mem_copied,
			      const char *const *skip, const char *when)
{
	struct judge_result res = { 0 };
	struct judge_verify_opts o = { .skip = skip, .mem_copied = mem_copied };
	char err[256];
	if (judge_verify(src, dst, &o, &res, err, sizeof err) < 0)
		fail_msg("%s: %s", when, err);
	if (res.n)
		fail_msg("%s: %s %s: %s", when, res.v[0].rule, res.v[0].path, res.v[0].what);
	judge_result_free(&res);
}

static void fork_correct(const char *src, const char *dst, int mem_copied, const char *when)
{
	fork_correct_skip(src, dst, mem_copied, NULL, when);
}

static void nothing_left(struct fx *f, const char *when)
{
	if (tt_exists(f->dst))
		fail_msg("%s: a failed fork left DST", when);
	if (tt_count_named(f->dir, ".snapfork-"))
		fail_msg("%s: a failed fork left staging debris", when);
}

/* The cleanup of a failed fork itself opens, unlinks and chmods; when
 * those calls fail every time from then on, it cannot empty the staging
 * directory.  Then only staging debris may stay (never a DST), and it
 * must be removable once the calls work again. */
static int cleanup_needs(enum inj_call c)
{
	return c == INJ_OPENAT || c == INJ_UNLINKAT || c == INJ_FCHMOD || c == INJ_MALLOC ||
	       c == INJ_DUP || c == INJ_FSTAT || c == INJ_FDOPENDIR;
}

/* Debris is only ever a staging directory named after DST: remove it,
 * and fail if anything of it stays. */
static void clean_debris(struct fx *f, const char *when)
{
	char cmd[4400];
	snprintf(cmd, sizeof cmd, "rm -rf %s/.fork.snapfork-*", f->dir);
	if (system(cmd) != 0 || tt_count_named(f->dir, ".snapfork-"))
		fail_msg("%s: staging debris cannot be removed", when);
}

static void only_debris(struct fx *f, const char *when)
{
	if (tt_exists(f->dst))
		fail_msg("%s: a failed fork left DST", when);
	clean_debris(f, when);
}

/* One run with plan armed.  Returns 1 if the plan fired. */
static int run(struct fx *f, const char *src, const struct judge_state *st,
	       const struct snapfork_options *o, const struct inj_plan *plan)
{
	char when[160];
	snprintf(when, sizeof when, "%s #%u %s%s (%s)", inj_name(plan->call), plan->nth,
		 plan->err    ? strerrorname_np(plan->err)
		 : plan->zero ? "returns 0"
			      : "short",
		 plan->persistent ? " persistently" : "", src == f->raw ? "raw" : "compressed");
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	tt_rm_rf(f->dst); /* each run starts clean, whatever the last one did */
	int fds = tt_open_fds();
	inj_arm(plan);
	int r = snapfork_fork(src, f->dst, o, &rep);
	inj_disarm();
	int fired = inj_fired();
	if (inj_leak())
		fail_msg("%s: %s", when, inj_leak());
	if (tt_open_fds() != fds)
		fail_msg("%s: leaked a file descriptor", when);
	snapshot_unchanged(src, st, when);
	if (r == 0) {
		int copied = rep.mem_via != SNAPFORK_VIA_LINK;
		fork_correct_skip(src, f->dst, copied, o ? o->skip : NULL, when);
		tt_rm_rf(f->dst);
	} else {
		int want = plan->call == INJ_MALLOC ? -ENOMEM : -plan->err;
		if (!fired || (r != want && !(plan->err == EEXIST && r == -EEXIST)))
			fail_msg("%s: failed with %s (%s: %s), expected the injected %s", when,
				 strerrorname_np(-r), rep.error_path,
				 rep.error_reason ? rep.error_reason : "", strerrorname_np(-want));
		if (plan->persistent && cleanup_needs(plan->call))
			only_debris(f, when);
		else
			nothing_left(f, when);
	}
	if (fired && plan->err)
		for (size_t i = 0; i < NERR; i++)
			if (errnos[i] == plan->err)
				errnos_seen |= 1ul << i;
	return fired;
}

/* Loop N = 1, 2, ... until the fork completes without reaching the N-th
 * call of this kind, once and persistently, cycling through the errnos. */
static void sweep(struct fx *f, enum inj_call call, const struct snapfork_options *o)
{
	const char *srcs[] = { f->raw, f->packed };
	const struct judge_state *sts[] = { &f->raw_state, &f->packed_state };
	unsigned runs = 0;
	for (int s = 0; s < 2; s++) {
		for (unsigned n = 1; n < 100000; n++) {
			int err = errnos[(n + (unsigned)call) % NERR];
			struct inj_plan once = { .call = call, .nth = n, .err = err };
			runs++;
			if (!run(f, srcs[s], sts[s], o, &once))
				break;
			/* Retried errnos forever would spin: real kernels do not. */
			if (err == EINTR || err == EAGAIN)
				continue;
			struct inj_plan always = once;
			always.persistent = 1;
			run(f, srcs[s], sts[s], o, &always);
		}
	}
	print_message("%-16s %u injection points\n", inj_name(call), runs);
}

#define SWEEP(name, call, opts)                                                                    \
	static void test_fault_##name(void **state)                                                \
	{                                                                                          \
		struct snapfork_options o = opts;                                                  \
		sweep(*state, call, &o);                                                           \
	}

#define AUTO SNAPFORK_OPTIONS_INIT
#define RW                                                                                         \
	{                                                                                          \
		.size = sizeof(struct snapfork_options), .method = SNAPFORK_METHOD_RW              \
	}
#define NOLINK_RANGE                                                                               \
	{                                                                                          \
		.size = sizeof(struct snapfork_options), .flags = SNAPFORK_NO_LINK | SNAPFORK_FSYNC, \
		.method = SNAPFORK_METHOD_RANGE                                                    \
	}

SWEEP(openat, INJ_OPENAT, AUTO)
SWEEP(mkdirat, INJ_MKDIRAT, AUTO)
SWEEP(fstatat, INJ_FSTATAT, AUTO)
SWEEP(linkat, INJ_LINKAT, AUTO)
SWEEP(symlinkat, INJ_SYMLINKAT, AUTO)
SWEEP(readlinkat, INJ_READLINKAT, AUTO)
SWEEP(ioctl_ficlone, INJ_IOCTL, AUTO)
SWEEP(copy_file_range, INJ_COPY_FILE_RANGE, NOLINK_RANGE)
SWEEP(lseek, INJ_LSEEK, AUTO)
SWEEP(read, INJ_READ, AUTO)
SWEEP(pread, INJ_PREAD, RW)
SWEEP(pwrite, INJ_PWRITE, RW)
SWEEP(ftruncate, INJ_FTRUNCATE, AUTO)
SWEEP(fsync, INJ_FSYNC, NOLINK_RANGE)
SWEEP(fchmod, INJ_FCHMOD, AUTO)
SWEEP(renameat2, INJ_RENAMEAT2, AUTO)
SWEEP(unlinkat, INJ_UNLINKAT, AUTO)
SWEEP(malloc, INJ_MALLOC, AUTO)
SWEEP(fstat, INJ_FSTAT, AUTO)
SWEEP(dup, INJ_DUP, AUTO)
SWEEP(close, INJ_CLOSE, NOLINK_RANGE)
SWEEP(fdopendir, INJ_FDOPENDIR, AUTO)
SWEEP(getrandom, INJ_GETRANDOM, AUTO)
SWEEP(fchown, INJ_FCHOWN, NOLINK_RANGE)
SWEEP(sync_file_range, INJ_SYNC_FILE_RANGE, AUTO)

/* More copied files than the writeback window holds (ref/lib/writeback.c):
 * the oldest is waited for while the walk goes on.  A failed writeback or
 * close at any of them, once or from then on, fails the fork cleanly; the
 * fork without faults, and with --no-writeback, is whole. */
static void test_writeback_window(void **state)
{
	struct fx *f = *state;
	char many[4300], err[256];
	snprintf(many, sizeof many, "%s/many", f->dir);
	tt_mkdir(f->dir, "many", 0755);
	tt_snapshot(many, "memory-ranges", 1 << 20);
	for (int i = 0; i < 40; i++) {
		char rel[32];
		snprintf(rel, sizeof rel, "file-%02d", i);
		tt_text(many, rel, 0644, rel);
	}
	struct judge_state st;
	if (judge_state_take(many, &st, err, sizeof err) < 0)
		fail_msg("%s", err);
	struct snapfork_options nowb = { .size = sizeof nowb, .flags = SNAPFORK_NO_WRITEBACK };
	struct inj_plan none = { .call = INJ_SYNC_FILE_RANGE, .nth = 100000 };
	run(f, many, &st, NULL, &none);
	run(f, many, &st, &nowb, &none);
	unsigned fired = 0;
	static const enum inj_call calls[] = { INJ_SYNC_FILE_RANGE, INJ_CLOSE };
	for (size_t c = 0; c < 2; c++)
		for (unsigned n = 1; n < 200; n++) {
			struct inj_plan p = { .call = calls[c], .nth = n, .err = c ? EIO : ENOSPC,
					      .persistent = n % 2 };
			if (!run(f, many, &st, NULL, &p) && !p.persistent)
				break;
			fired++;
		}
	assert_true(fired > 80); /* past the window: both calls, start and wait */
	judge_state_free(&st);
	tt_rm_rf(many);
}

/* copy_file_range returning short counts, and 0 on its first call ("not
 * supported here": coreutils' reading), must still give a right copy. */
static void test_copy_file_range_short_and_zero(void **state)
{
	struct fx *f = *state;
	struct snapfork_options o = NOLINK_RANGE;
	o.method = SNAPFORK_METHOD_AUTO;
	for (unsigned n = 1; n < 64; n++) {
		struct inj_plan shorter = {
			.call = INJ_COPY_FILE_RANGE, .nth = n, .persistent = 1, .short_count = 1
		};
		if (!run(f, f->raw, &f->raw_state, &o, &shorter))
			break;
	}
	struct inj_plan zero = { .call = INJ_COPY_FILE_RANGE, .nth = 1, .zero = 1 };
	assert_true(run(f, f->raw, &f->raw_state, &o, &zero));
	/* Interrupted calls are retried: the fork succeeds as if nothing happened. */
	static const int retried[] = { EINTR, EAGAIN };
	for (int i = 0; i < 2; i++) {
		struct inj_plan again = { .call = INJ_COPY_FILE_RANGE,
					  .nth = 1,
					  .err = retried[i] };
		struct snapfork_report rep = SNAPFORK_REPORT_INIT;
		tt_rm_rf(f->dst);
		inj_arm(&again);
		assert_int_equal(snapfork_fork(f->raw, f->dst, &o, &rep), 0);
		inj_disarm();
		assert_true(inj_fired());
		fork_correct_skip(f->raw, f->dst, 1, NULL, "retried copy_file_range");
		tt_rm_rf(f->dst);
	}
	/* 0 from copy_file_range after data was copied means the file shrank
	 * under us (EBUSY); a write of 0 bytes is an error (EIO).  Neither
	 * leaves anything; a 0 on a file's first call is the fallback. */
	struct snapfork_options rw = RW;
	unsigned busy = 0, eio = 0;
	for (unsigned n = 1; n < 64; n++) {
		for (int i = 0; i < 2; i++) {
			struct inj_plan p = { .call = i ? INJ_PWRITE : INJ_COPY_FILE_RANGE,
					      .nth = n,
					      .zero = 1 };
			struct snapfork_report rep = SNAPFORK_REPORT_INIT;
			tt_rm_rf(f->dst);
			inj_arm(&p);
			int r = snapfork_fork(f->raw, f->dst, i ? &rw : &o, &rep);
			inj_disarm();
			if (!inj_fired())
				continue;
			if (r == 0) {
				fork_correct_skip(f->raw, f->dst, 1, NULL,
						  "a 0 from copy_file_range");
				tt_rm_rf(f->dst);
				continue;
			}
			assert_int_equal(r, i ? -EIO : -EBUSY);
			assert_non_null(rep.error_reason);
			*(i ? &eio : &busy) += 1;
			nothing_left(f, i ? "pwrite returned 0" : "copy_file_range returned 0");
		}
	}
	assert_true(busy > 0 && eio > 0);
	for (unsigned n = 1; n < 64; n++) {
		struct inj_plan shorter = {
			.call = INJ_PREAD, .nth = n, .persistent = 1, .short_count = 1
		};
		o.method = SNAPFORK_METHOD_RW;
		if (!run(f, f->raw, &f->raw_state, &o, &shorter))
			break;
	}
}

/* The other paths of a fork: fsync, no link, forced methods, skip list,
 * materialize (which writes into the snapshot: it gets a copy of its
 * own), a compressed fork with decompression refused by its name. */
static void sweep_options(struct fx *f, enum inj_call call)
{
	static const char *const skip[] = { "a", NULL };
	struct snapfork_options opts[] = {
		{ .size = sizeof opts[0], .flags = SNAPFORK_FSYNC, .skip = skip },
		{ .size = sizeof opts[0], .flags = SNAPFORK_NO_LINK, .method = SNAPFORK_METHOD_RW },
		{ .size = sizeof opts[0], .flags = SNAPFORK_FSYNC | SNAPFORK_NO_LINK },
		{ .size = sizeof opts[0], .flags = SNAPFORK_NO_WRITEBACK | SNAPFORK_NO_LINK },
	};
	for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k++) {
		for (unsigned n = 1; n < 100000; n++) {
			int err = errnos[(n * 7 + k) % NERR];
			if (err == EINTR || err == EAGAIN)
				err = EIO;
			struct inj_plan p = {
				.call = call, .nth = n, .err = err, .persistent = (n + k) % 2
			};
			const char *src = k >= 2 ? f->packed : f->raw;
			if (!run(f, src, k >= 2 ? &f->packed_state : &f->raw_state, &opts[k], &p) &&
			    !p.persistent)
				break;
			if (!inj_fired() && p.persistent)
				break;
		}
	}
}

static void test_fault_option_paths(void **state)
{
	for (enum inj_call c = 0; c < INJ_FIRST_CLI; c++)
		sweep_options(*state, c);
}

/* Materialize decompresses into the snapshot: a snapshot of its own per
 * run, which must stay as it was when the fork fails. */
static void test_fault_materialize(void **state)
{
	struct fx *f = *state;
	char src[4300];
	snprintf(src, sizeof src, "%s/mat", f->dir);
	for (enum inj_call call = 0; call < INJ_FIRST_CLI; call++) {
		for (unsigned n = 1; n < 100000; n++) {
			tt_rm_rf(src);
			tt_mkdir(f->dir, "mat", 0755);
			tt_file(src, "memory", 0600, 8 << 20,
				 (struct tt_extent[]){ { 4096, 8192, 3 } }, 1);
			tt_compress(src, "memory", "memory.lz4", 0);
			unlink(tt_p(src, "memory"));
			struct snapfork_options o = { .size = sizeof o, .flags = SNAPFORK_MATERIALIZE };
			struct inj_plan p = { .call = call, .nth = n, .err = EIO };
			struct snapfork_report rep = SNAPFORK_REPORT_INIT;
			tt_rm_rf(f->dst);
			inj_arm(&p);
			int r = snapfork_fork(src, f->dst, &o, &rep);
			inj_disarm();
			if (!inj_fired()) {
				assert_int_equal(r, 0);
				break;
			}
			if (r < 0) {
				nothing_left(f, "materialize");
				/* Never a half-written raw file in the snapshot. */
				assert_false(tt_exists(tt_p(src, "memory.tmp")));
			}
		}
	}
	tt_rm_rf(src);
	tt_rm_rf(f->dst);
}

/* Unshare and probe: their calls failed at every point too. */
static void test_fault_unshare_and_probe(void **state)
{
	struct fx *f = *state;
	char a[4300], b[4300];
	snprintf(a, sizeof a, "%s/u-a", f->dir);
	snprintf(b, sizeof b, "%s/u-b", f->dir);
	for (enum inj_call call = 0; call < INJ_FIRST_CLI; call++) {
		for (unsigned n = 1; n < 1000; n++) {
			unlink(a);
			unlink(b);
			tt_file(f->dir, "u-a", 0640, 4 << 20,
				 (struct tt_extent[]){ { 0, 8192, 1 } }, 1);
			assert_int_equal(link(a, b), 0);
			struct inj_plan p = { .call = call,
					      .nth = n,
					      .err = errnos[n % NERR] == EINTR ? EIO
									       : errnos[n % NERR] };
			int unshared = 0, fds = tt_open_fds();
			inj_arm(&p);
			int r = snapfork_unshare_at(AT_FDCWD, b, &unshared);
			inj_disarm();
			assert_int_equal(tt_open_fds(), fds);
			struct stat sa, sb;
			assert_int_equal(stat(a, &sa), 0);
			assert_int_equal(stat(b, &sb), 0);
			/* Either unshared, or untouched: never a half state. */
			if (r == 0)
				assert_true(sa.st_ino != sb.st_ino && sa.st_nlink == 1);
			else
				assert_true(sa.st_ino == sb.st_ino && sa.st_nlink == 2);
			assert_int_equal(tt_count_named(f->dir, ".u-b.snapfork-"), 0);
			if (!inj_fired())
				break;
		}
		for (unsigned n = 1; n < 1000; n++) {
			struct inj_plan p = { .call = call, .nth = n, .err = EIO };
			struct snapfork_probe pr = SNAPFORK_PROBE_INIT;
			int fds = tt_open_fds();
			inj_arm(&p);
			snapfork_probe_at(AT_FDCWD, f->dir, &pr);
			inj_disarm();
			assert_int_equal(tt_open_fds(), fds);
			if (tt_count_named(f->dir, ".probe"))
				fail_msg("probe left its scratch after %s #%u", inj_name(call), n);
			if (!inj_fired())
				break;
		}
	}
	unlink(a);
	unlink(b);
}

/* Which renameat2 publishes a raw fork: the last one it makes. */
static unsigned publish_call(struct fx *f)
{
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	tt_rm_rf(f->dst);
	struct inj_plan count = { .call = INJ_RENAMEAT2, .nth = 1000 };
	inj_arm(&count);
	assert_int_equal(snapfork_fork(f->raw, f->dst, NULL, &rep), 0);
	inj_disarm();
	tt_rm_rf(f->dst);
	return inj_count(INJ_RENAMEAT2);
}

/* A filesystem without RENAME_NOREPLACE (EINVAL) or an old kernel
 * (ENOSYS): publishing falls back to a check and a plain rename. */
static void test_publish_without_rename_noreplace(void **state)
{
	struct fx *f = *state;
	static const int errs[] = { EINVAL, ENOSYS };
	unsigned last = publish_call(f);
	for (int i = 0; i < 2; i++) {
		struct inj_plan p = { .call = INJ_RENAMEAT2, .nth = last, .err = errs[i] };
		assert_true(run(f, f->raw, &f->raw_state, NULL, &p));
	}
}

/* Staging names that keep colliding: 16 tries, then EEXIST, nothing left. */
static void test_staging_names_collide(void **state)
{
	struct fx *f = *state;
	struct inj_plan p = { .call = INJ_MKDIRAT, .nth = 1, .err = EEXIST, .persistent = 1 };
	assert_true(run(f, f->raw, &f->raw_state, NULL, &p));
	assert_int_equal(inj_count(INJ_MKDIRAT), 16);
}

static void make_dst(void *arg)
{
	mkdir(arg, 0700);
}

/* Without RENAME_NOREPLACE, a DST that appears just before the publish
 * is not replaced: the fork fails with EEXIST and leaves it alone. */
static void test_publish_fallback_dst_appears(void **state)
{
	struct fx *f = *state;
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	struct inj_plan p = { .call = INJ_RENAMEAT2,
			      .nth = publish_call(f),
			      .err = EINVAL,
			      .hook = make_dst,
			      .hook_arg = f->dst };
	inj_arm(&p);
	assert_int_equal(snapfork_fork(f->raw, f->dst, NULL, &rep), -EEXIST);
	inj_disarm();
	assert_string_equal(rep.error_reason, "DST appeared during the fork");
	assert_int_equal(tt_count_named(f->dst, ""), 2); /* still the empty one we made */
	assert_int_equal(tt_count_named(f->dir, ".fork.snapfork-"), 0);
	tt_rm_rf(f->dst);
	snapshot_unchanged(f->raw, &f->raw_state, "publish fallback");
}

/* The cleanup of a failed fork, under failures of its own calls: it
 * reports the first error, leaks no fd, and what it left is removable. */
static void test_cleanup_under_faults(void **state)
{
	struct fx *f = *state;
	char t[4400], cmd[9000];
	snprintf(t, sizeof t, "%s/rmt", f->dir);
	snprintf(cmd, sizeof cmd, "chmod -R u+rwx '%s' 2>/dev/null; rm -rf '%s'", t, t);
	int dir = open(f->dir, O_RDONLY | O_DIRECTORY);
	assert_true(dir >= 0);
	unsigned points = 0;
	for (enum inj_call call = 0; call < INJ_FIRST_CLI; call++) {
		for (unsigned n = 1; n < 1000; n++) {
			tt_mkdir(f->dir, "rmt", 0755);
			tt_mkdir(t, "d1", 0755);
			tt_text(t, "d1/file", 0600, "x");
			tt_mkdir(t, "d1/d2", 0755);
			tt_text(t, "d1/d2/file", 0600, "y");
			tt_mkdir(t, "empty", 0755);
			tt_text(t, "f", 0600, "z");
			chmod(tt_p(t, "d1"), 0500); /* a final mode, as a fork gives it */
			int err = errnos[(n + call) % NERR];
			struct inj_plan p = { .call = call, .nth = n, .err = err };
			int fds = tt_open_fds();
			inj_arm(&p);
			int r = sf_rmtree_at(dir, "rmt");
			inj_disarm();
			assert_int_equal(tt_open_fds(), fds);
			int fired = inj_fired();
			if (r == 0)
				assert_false(tt_exists(t));
			else if (r != -err && !(call == INJ_MALLOC && r == -ENOMEM))
				fail_msg("cleanup with %s #%u failing (%s): %s", inj_name(call), n,
					 strerrorname_np(err), strerrorname_np(-r));
			if (system(cmd) != 0 || tt_exists(t))
				fail_msg("cleanup left %s unremovable", t);
			if (!fired)
				break;
			points++;
		}
	}
	close(dir);
	print_message("cleanup: %u injection points\n", points);
}

static void test_every_errno_was_injected(void **state)
{
	(void)state;
	for (size_t i = 0; i < NERR; i++)
		if (!(errnos_seen & (1ul << i)))
			fail_msg("%s was never injected where it fired",
				 strerrorname_np(errnos[i]));
}

/* ---- crash tests: SIGKILL at every call, then at random times ---- */

static int staging_debris(struct fx *f)
{
	return tt_count_named(f->dir, ".fork.snapfork-");
}

static void after_kill(struct fx *f, const char *src, const struct judge_state *st, const char *when)
{
	snapshot_unchanged(src, st, when);
	/* Never a partial DST: absent, or complete and right. */
	if (tt_exists(f->dst))
		fork_correct(src, f->dst, 0, when);
	/* A rerun succeeds whatever debris the kill left (it is ignored). */
	tt_rm_rf(f->dst);
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	if (snapfork_fork(src, f->dst, NULL, &rep) != 0)
		fail_msg("%s: the rerun failed: %s", when, rep.error_path);
	fork_correct(src, f->dst, 0, when);
	tt_rm_rf(f->dst);
	clean_debris(f, when);
}

static int fork_in_child(const char *src, const char *dst, const struct inj_plan *plan,
			 unsigned delay_us)
{
	tt_rm_rf(dst);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0); /* never kill(-1, ...) below */
	if (pid == 0) {
		if (plan)
			inj_arm(plan);
		struct snapfork_report rep = SNAPFORK_REPORT_INIT;
		/* _exit: no coverage dump here, whose file calls the armed
		 * injection would count (and a kill could cut one short). */
		_exit(snapfork_fork(src, dst, NULL, &rep) == 0 ? 0 : 1);
	}
	if (delay_us) {
		struct timespec ts = { 0, (long)delay_us * 1000 };
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
	}
	int st;
	waitpid(pid, &st, 0);
	return WIFSIGNALED(st) ? -WTERMSIG(st) : WEXITSTATUS(st);
}

/* A daemon may run with stdin closed, and descriptor 0 is a descriptor
 * like any other: it is freed just before the n-th open (then the n-th
 * dup), for every n, so each open and dup the fork makes returns 0 in
 * turn.  A check written `fd <= 0` for `fd < 0` takes it for a failure. */
static void free_fd0(void *arg)
{
	(void)arg;
	close(0);
}

static void test_fd0_at_every_open(void **state)
{
	struct fx *f = *state;
	const char *srcs[] = { f->raw, f->packed };
	static const enum inj_call calls[] = { INJ_OPENAT, INJ_DUP };
	int saved = fcntl(0, F_DUPFD_CLOEXEC, 10);
	assert_true(saved >= 0);
	for (int s = 0; s < 2; s++)
		for (int k = 0; k < 2; k++) {
			unsigned n;
			for (n = 1; n < 100000; n++) {
				struct inj_plan plan = { .call = calls[k],
							 .nth = n,
							 .hook = free_fd0 };
				struct snapfork_report rep = SNAPFORK_REPORT_INIT;
				inj_arm(&plan);
				int r = snapfork_fork(srcs[s], f->dst, NULL, &rep);
				inj_disarm();
				int fired = inj_fired(), open0 = fcntl(0, F_GETFD) >= 0;
				if (!open0)
					assert_int_equal(dup2(saved, 0), 0);
				char when[96];
				snprintf(when, sizeof when, "fd 0 free at %s #%u (%s)",
					 inj_name(calls[k]), n, s ? "compressed" : "raw");
				if (fired && open0)
					fail_msg("%s: the fork left descriptor 0 open", when);
				if (r != 0)
					fail_msg("%s: %s (%s: %s)", when, strerrorname_np(-r),
						 rep.error_path, rep.error_reason);
				fork_correct(srcs[s], f->dst, rep.mem_via != SNAPFORK_VIA_LINK,
					     when);
				tt_rm_rf(f->dst);
				if (!fired)
					break;
			}
			print_message("fd 0 at each of %u calls of %s (%s)\n", n - 1,
				      inj_name(calls[k]), s ? "compressed" : "raw");
		}
	close(saved);
}

/* The refusals, with descriptor 0 freed before each open and dup in
 * turn: the same error and reason every time, nothing made, descriptor
 * 0 not kept.  SRC inside DST needs DST opened (0 may be it), DST
 * inside SRC the walk up from DST's parent (a dup, then opens of "..");
 * a check written `fd <= 0` turns one refusal into another. */
static void test_fd0_at_every_refusal(void **state)
{
	struct fx *f = *state;
	char inside[4300], empty[4300];
	snprintf(inside, sizeof inside, "%s/a/fork", f->raw);
	snprintf(empty, sizeof empty, "%s/empty", f->dir);
	tt_mkdir(f->dir, "empty", 0755);
	const struct {
		const char *src, *dst;
		int err;
		const char *why;
	} cases[] = {
		{ f->raw, f->dir, -EINVAL, "SRC is inside DST" },
		{ f->raw, inside, -EINVAL, "DST is inside SRC" },
		{ f->raw, empty, -EEXIST, "DST already exists" },
		{ f->raw, f->raw, -EEXIST, "SRC and DST are the same directory" },
	};
	static const enum inj_call calls[] = { INJ_OPENAT, INJ_DUP };
	int saved = fcntl(0, F_DUPFD_CLOEXEC, 10);
	assert_true(saved >= 0);
	for (size_t c = 0; c < sizeof cases / sizeof *cases; c++)
		for (int k = 0; k < 2; k++)
			for (unsigned n = 1; n < 1000; n++) {
				struct inj_plan plan = { .call = calls[k],
							 .nth = n,
							 .hook = free_fd0 };
				struct snapfork_report rep = SNAPFORK_REPORT_INIT;
				inj_arm(&plan);
				int r = snapfork_fork(cases[c].src, cases[c].dst, NULL, &rep);
				inj_disarm();
				int fired = inj_fired(), open0 = fcntl(0, F_GETFD) >= 0;
				if (!open0)
					assert_int_equal(dup2(saved, 0), 0);
				char when[160];
				snprintf(when, sizeof when, "%s, fd 0 free at %s #%u", cases[c].why,
					 inj_name(calls[k]), n);
				if (fired && open0)
					fail_msg("%s: the fork left descriptor 0 open", when);
				if (r != cases[c].err || !rep.error_reason ||
				    strcmp(rep.error_reason, cases[c].why) != 0)
					fail_msg("%s: %s (%s)", when, strerrorname_np(-r),
						 rep.error_reason ? rep.error_reason : "no reason");
				assert_false(tt_exists(inside));
				assert_int_equal(tt_count_named(f->dir, ".snapfork-"), 0);
				assert_int_equal(tt_count_named(tt_p(f->raw, "a"), ".snapfork-"),
						 0);
				if (!fired)
					break;
			}
	rmdir(empty);
	close(saved);
}

static void test_kill_at_every_call(void **state)
{
	struct fx *f = *state;
	const char *srcs[] = { f->raw, f->packed };
	const struct judge_state *sts[] = { &f->raw_state, &f->packed_state };
	for (int s = 0; s < 2; s++) {
		unsigned n;
		for (n = 1; n < 100000; n++) {
			struct inj_plan kill_at = { .call = INJ_ANY, .nth = n, .kill = 1 };
			int r = fork_in_child(srcs[s], f->dst, &kill_at, 0);
			char when[96];
			snprintf(when, sizeof when, "SIGKILL at call %u (%s)", n,
				 s ? "compressed" : "raw");
			if (r >= 0) { /* completed before the n-th call */
				assert_int_equal(r, 0);
				fork_correct(srcs[s], f->dst, 0, when);
				tt_rm_rf(f->dst);
				break;
			}
			after_kill(f, srcs[s], sts[s], when);
		}
		print_message("killed at each of %u calls (%s)\n", n - 1, s ? "compressed" : "raw");
	}
	assert_int_equal(staging_debris(f), 0);
}

static void test_kill_at_random_times(void **state)
{
	struct fx *f = *state;
	srand(12345); /* bounded and reproducible */
	for (int i = 0; i < 40; i++) {
		const char *src = i % 2 ? f->packed : f->raw;
		unsigned delay = 50 + (unsigned)rand() % 3000;
		fork_in_child(src, f->dst, NULL, delay);
		char when[64];
		snprintf(when, sizeof when, "SIGKILL after %u us", delay);
		after_kill(f, src, i % 2 ? &f->packed_state : &f->raw_state, when);
	}
}

/* ---- hostile changes during the walk ---- */

static void grow(void *arg)
{
	int fd = open(arg, O_WRONLY | O_APPEND);
	if (fd >= 0) {
		if (write(fd, "more", 4) < 0) {
		}
		close(fd);
	}
}

static void shrink(void *arg)
{
	if (truncate(arg, 1024) < 0) {
	}
}

static void test_source_grows_or_shrinks_during_copy(void **state)
{
	struct fx *f = *state;
	char file[4400];
	snprintf(file, sizeof file, "%s/changing", f->dir);
	void (*hooks[])(void *) = { grow, shrink };
	for (int h = 0; h < 2; h++) {
		char src[4250];
		snprintf(src, sizeof src, "%s/moving", f->dir);
		tt_mkdir(f->dir, "moving", 0755);
		tt_file(src, "disk.raw", 0644, 1 << 20, (struct tt_extent[]){ { 0, 1 << 20, 1 } },
			 1);
		snprintf(file, sizeof file, "%s/disk.raw", src);
		struct snapfork_options o = RW;
		struct inj_plan plan = {
			.call = INJ_PREAD, .nth = 1, .hook = hooks[h], .hook_arg = file
		};
		struct snapfork_report rep = SNAPFORK_REPORT_INIT;
		inj_arm(&plan);
		int r = snapfork_fork(src, f->dst, &o, &rep);
		inj_disarm();
		assert_true(inj_fired());
		assert_int_equal(r, -EBUSY);
		assert_string_equal(rep.error_path, "disk.raw");
		nothing_left(f, h ? "shrink" : "grow");
		tt_rm_rf(src);
	}
}

struct swap {
	char dir[4400], outside[4400];
};

/* Replace the directory by a symlink to outside the tree. */
static void swap_dir(void *arg)
{
	struct swap *s = arg;
	char moved[4500];
	snprintf(moved, sizeof moved, "%s.moved", s->dir);
	if (rename(s->dir, moved) == 0 && symlink(s->outside, s->dir) < 0) {
	}
}

static void vanish(void *arg)
{
	unlink(arg);
}

/* Another directory under the same name: same path, new inode. */
static void swap_dir_for_dir(void *arg)
{
	struct swap *s = arg;
	char moved[4500];
	snprintf(moved, sizeof moved, "%s.moved", s->dir);
	if (rename(s->dir, moved) == 0 && mkdir(s->dir, 0755) < 0) {
	}
}

/* Another file under the same name. */
static void replace_file(void *arg)
{
	char tmp[4500];
	snprintf(tmp, sizeof tmp, "%s.new", (char *)arg);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd >= 0) {
		if (write(fd, "other", 5) < 0) {
		}
		close(fd);
		rename(tmp, arg);
	}
}

/* Sources changing under the walk: a directory swapped for a symlink to
 * outside or for another directory, a file vanishing or replaced, the
 * mem-file replaced just before it is linked.  Each gets a clear error
 * (ESTALE for a replaced inode) or a fork right for what it saw, and
 * nothing is ever written outside the tree. */
static void test_sources_changing_during_walk(void **state)
{
	struct fx *f = *state;
	char src[4250];
	snprintf(src, sizeof src, "%s/racy", f->dir);
	static const char *const names[] = { "dir->symlink", "file vanishes", "dir->other dir",
					     "file replaced", "mem-file replaced" };
	unsigned stale[5] = { 0 };
	for (int kind = 0; kind < 5; kind++) {
		for (unsigned n = 1; n < 64; n++) {
			struct swap s;
			tt_mkdir(f->dir, "racy", 0755);
			tt_mkdir(src, "sub", 0755);
			tt_text(src, "sub/inside", 0644, "x");
			tt_text(src, "zz-file", 0644, "y");
			tt_file(src, "memory", 0600, 1 << 20,
				 (struct tt_extent[]){ { 0, 4096, 2 } }, 1);
			tt_mkdir(f->dir, "outside", 0755);
			snprintf(s.dir, sizeof s.dir, "%s/sub", src);
			snprintf(s.outside, sizeof s.outside, "%s/outside", f->dir);
			char zz[4400], mem[4400];
			snprintf(zz, sizeof zz, "%s/zz-file", src);
			snprintf(mem, sizeof mem, "%s/memory", src);
			static const enum inj_call calls[] = { INJ_OPENAT, INJ_FSTATAT, INJ_OPENAT,
							       INJ_OPENAT, INJ_LINKAT };
			void (*hooks[])(void *) = { swap_dir, vanish, swap_dir_for_dir,
						    replace_file, replace_file };
			void *args[] = { &s, zz, &s, zz, mem };
			struct inj_plan plan = { .call = calls[kind],
						 .nth = n,
						 .hook = hooks[kind],
						 .hook_arg = args[kind] };
			struct snapfork_report rep = SNAPFORK_REPORT_INIT;
			inj_arm(&plan);
			int r = snapfork_fork(src, f->dst, NULL, &rep);
			inj_disarm();
			int fired = inj_fired();
			/* Whatever happened: nothing written outside the tree... */
			assert_int_equal(tt_count_named(s.outside, ""), 2);
			/* ...and a clear error, or a fork that is right for what it saw. */
			if (r < 0) {
				assert_non_null(rep.error_reason);
				if (r != -ENOENT && r != -ESTALE && r != -ELOOP && r != -ENOTDIR)
					fail_msg("%s at #%u: %s (%s)", names[kind], n,
						 strerrorname_np(-r), rep.error_reason);
				stale[kind] += r == -ESTALE;
				nothing_left(f, names[kind]);
			}
			tt_rm_rf(f->dst);
			tt_rm_rf(src);
			char moved[4500];
			snprintf(moved, sizeof moved, "%s.moved", s.dir);
			tt_rm_rf(moved);
			tt_rm_rf(s.outside);
			if (!fired)
				break;
		}
	}
	/* A replaced inode is noticed, not copied or linked in its stead. */
	for (int kind = 2; kind < 5; kind++)
		if (!stale[kind])
			fail_msg("%s: never reported ESTALE", names[kind]);
}

int main(void)
{
#define F(t) cmocka_unit_test(t)
	const struct CMUnitTest tests[] = {
		F(test_fault_openat),
		F(test_fault_mkdirat),
		F(test_fault_fstatat),
		F(test_fault_linkat),
		F(test_fault_symlinkat),
		F(test_fault_readlinkat),
		F(test_fault_ioctl_ficlone),
		F(test_fault_copy_file_range),
		F(test_fault_lseek),
		F(test_fault_read),
		F(test_fault_pread),
		F(test_fault_pwrite),
		F(test_fault_ftruncate),
		F(test_fault_fsync),
		F(test_fault_fchmod),
		F(test_fault_renameat2),
		F(test_fault_unlinkat),
		F(test_fault_malloc),
		F(test_fault_fstat),
		F(test_fault_dup),
		F(test_fault_close),
		F(test_staging_names_collide),
		F(test_publish_fallback_dst_appears),
		F(test_cleanup_under_faults),
		F(test_fault_fdopendir),
		F(test_fault_getrandom),
		F(test_fault_fchown),
		F(test_fault_sync_file_range),
		F(test_writeback_window),
		F(test_copy_file_range_short_and_zero),
		F(test_fault_option_paths),
		F(test_fault_materialize),
		F(test_fault_unshare_and_probe),
		F(test_publish_without_rename_noreplace),
		F(test_every_errno_was_injected),
		F(test_fd0_at_every_open),
		F(test_fd0_at_every_refusal),
		F(test_kill_at_every_call),
		F(test_kill_at_random_times),
		F(test_source_grows_or_shrinks_during_copy),
		F(test_sources_changing_during_walk),
	};
	return cmocka_run_group_tests_name("fault injection, crashes, races", tests, setup,
					   teardown);
}
