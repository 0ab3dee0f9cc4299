/* files.h - vmcheck's rules judged from files (files.c). */
#ifndef SNAPFORK_VM_FILES_H
#define SNAPFORK_VM_FILES_H

#include "judge.h"
#include "vmcheck.h"

/* The snapshot as it was: every entry (judge_state) and the mem-file's
 * inode. */
struct vm_intact {
	dev_t dev;
	ino_t ino;
	struct judge_state state;
};
int vm_intact_take(const struct vm_snap *s, struct vm_intact *in, char *err, size_t len);
/* files_only: compare regular files only (s is a tree of second names,
 * vm_ref_links, whose directories are new). */
void vm_check_intact(const struct vm_snap *s, struct vm_intact *before, const char *when,
		     int files_only, struct vm_row *row);
int vm_ref_links(const char *snap, const char *ref, char *err, size_t len);
int vm_check_memfile(const struct vm_snap *s, const char *fork, struct vm_row *row);
void vm_check_debris(const char *forks_dir, unsigned n, const char *const *forks,
		     struct vm_row *row);

#endif
