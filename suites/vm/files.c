/* files.c - the rules judged from files (vmcheck.h): the fork's mem-file,
 * the snapshot left as it was, debris.  Derived from the contract and
 * from where the template put things, never from the fork's own walk. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"

/* VR_MEMFILE for one fork.  Returns 1 when the fork holds a raw mem-file
 * a hypervisor can map (even a wrong one: QEMU will tell), 0 when it
 * holds only the compressed copy (the contract's fallback). */
int vm_check_memfile(const struct vm_snap *s, const char *fork, struct vm_row *row)
{
	char sp[4200], fp[4200], msg[600];
	snprintf(fp, sizeof fp, "%s/%s", fork, s->mem_rel);
	struct stat f, z;
	if (lstat(fp, &f) < 0) {
		char zp[4200];
		snprintf(zp, sizeof zp, "%s/%s", fork, s->zst_rel ? s->zst_rel : "");
		if (s->zst_rel && lstat(zp, &z) == 0 && S_ISREG(z.st_mode))
			return 0;
		vm_cell(row, VR_MEMFILE, CONFORM_FAIL, "%s: missing (%s)", fp, strerror(errno));
		return 0;
	}
	if (!S_ISREG(f.st_mode)) {
		vm_cell(row, VR_MEMFILE, CONFORM_FAIL, "%s: not a regular file (mode %06o)", fp,
			(unsigned)f.st_mode);
		return 1;
	}
	int a = -1, b = open(fp, O_RDONLY | O_CLOEXEC);
	int r = 0;
	if (s->zst_rel) {
		snprintf(sp, sizeof sp, "%s/%s", s->dir, s->zst_rel);
		a = open(sp, O_RDONLY | O_CLOEXEC);
		r = a < 0 || b < 0 ? -1 : judge_compare_decompressed(a, sp, b, msg, sizeof msg);
	} else {
		struct stat m;
		snprintf(sp, sizeof sp, "%s/%s", s->dir, s->mem_rel);
		a = open(sp, O_RDONLY | O_CLOEXEC);
		if (a < 0 || b < 0 || fstat(a, &m) < 0) {
			r = -1;
			snprintf(msg, sizeof msg, "cannot open: %s", strerror(errno));
		} else if (m.st_dev == f.st_dev && (m.st_ino != f.st_ino)) {
			r = -1;
			snprintf(msg, sizeof msg,
				 "not the snapshot's inode (%lu), though on its filesystem: inode %lu",
				 (unsigned long)m.st_ino, (unsigned long)f.st_ino);
		} else if (m.st_dev != f.st_dev) {
			r = judge_compare_content(a, b, m.st_size, msg, sizeof msg);
		}
	}
	if (r != 0)
		vm_cell(row, VR_MEMFILE, CONFORM_FAIL, "%s: %s", fp, msg);
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
	return 1;
}

static int is_tmp(const char *name)
{
	return fnmatch("*.tmp", name, 0) == 0 || fnmatch(".*.tmp*", name, 0) == 0;
}

/* VR_DEBRIS: the directory the forks went into holds the forks and
 * nothing else (no staging directory, no temp file); no fork holds a
 * *.tmp file. */
void vm_check_debris(const char *forks_dir, unsigned n, const char *const *forks,
		     struct vm_row *row)
{
	DIR *d = opendir(forks_dir);
	if (!d) {
		vm_cell(row, VR_DEBRIS, CONFORM_FAIL, "%s: %s", forks_dir, strerror(errno));
		return;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		int known = 0;
		for (unsigned i = 0; i < n; i++)
			known |= strcmp(strrchr(forks[i], '/') + 1, e->d_name) == 0;
		if (!known)
			vm_cell(row, VR_DEBRIS, CONFORM_FAIL, "%s/%s: left beside the forks",
				forks_dir, e->d_name);
	}
	closedir(d);
	for (unsigned i = 0; i < n; i++) {
		struct judge_tree t;
		char err[600];
		if (judge_tree_load(forks[i], &t, err, sizeof err) < 0)
			continue; /* a fork that is not there fails VR_FORK */
		for (size_t k = 0; k < t.n; k++) {
			const char *base = strrchr(t.e[k].rel, '/');
			base = base ? base + 1 : t.e[k].rel;
			if (S_ISREG(t.e[k].mode) && is_tmp(base))
				vm_cell(row, VR_DEBRIS, CONFORM_FAIL, "%s/%s: a temporary file",
					forks[i], t.e[k].rel);
		}
		judge_tree_free(&t);
	}
}

int vm_intact_take(const struct vm_snap *s, struct vm_intact *in, char *err, size_t len)
{
	char p[4200];
	snprintf(p, sizeof p, "%s/%s", s->dir, s->zst_rel ? s->zst_rel : s->mem_rel);
	struct stat st;
	if (stat(p, &st) < 0) {
		snprintf(err, len, "%s: %s", p, strerror(errno));
		return -errno;
	}
	in->dev = st.st_dev;
	in->ino = st.st_ino;
	return judge_state_take(s->dir, &in->state, err, len);
}

/* VR_INTACT: every file of the snapshot as it was (bytes, size, mode,
 * owner, mtime: judge_state_compare) and its mem-file the same inode. */
void vm_check_intact(const struct vm_snap *s, struct vm_intact *before, const char *when,
		     int files_only, struct vm_row *row)
{
	struct vm_intact now;
	char err[600];
	if (vm_intact_take(s, &now, err, sizeof err) < 0) {
		vm_cell(row, VR_INTACT, CONFORM_FAIL, "%s: %s", when, err);
		return;
	}
	struct judge_result res;
	memset(&res, 0, sizeof res);
	if (files_only) {
		judge_state_files_only(&before->state);
		judge_state_files_only(&now.state);
	}
	judge_state_compare(&before->state, &now.state, &res);
	for (size_t i = 0; i < res.n; i++)
		vm_cell(row, VR_INTACT, CONFORM_FAIL, "%s: %s/%s: %s", when, s->dir, res.v[i].path,
			res.v[i].what);
	if (now.ino != before->ino || now.dev != before->dev)
		vm_cell(row, VR_INTACT, CONFORM_FAIL, "%s: the mem-file is another inode now", when);
	judge_result_free(&res);
	judge_state_free(&now.state);
}

/* A second name for each regular file of the snapshot (same relative
 * path under ref), so that its inodes can still be judged after the
 * snapshot is deleted. */
int vm_ref_links(const char *snap, const char *ref, char *err, size_t len)
{
	struct judge_tree t;
	int r = judge_tree_load(snap, &t, err, len);
	if (r < 0)
		return r;
	if (mkdir(ref, 0700) < 0)
		r = -errno;
	char a[4200], b[4200];
	for (size_t i = 0; r == 0 && i < t.n; i++) {
		snprintf(a, sizeof a, "%s/%s", snap, t.e[i].rel);
		snprintf(b, sizeof b, "%s/%s", ref, t.e[i].rel);
		if (S_ISDIR(t.e[i].mode) && mkdir(b, 0700) < 0)
			r = -errno;
		else if (S_ISREG(t.e[i].mode) && link(a, b) < 0)
			r = -errno;
	}
	if (r < 0)
		snprintf(err, len, "%s: %s", ref, strerror(-r));
	judge_tree_free(&t);
	return r;
}
