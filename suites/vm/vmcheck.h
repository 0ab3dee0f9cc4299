/* vmcheck.h - `snapfork vmcheck`: a real hypervisor (QEMU) restores forks
 * of a snapshot made by a real guest, several at once, and the rules are
 * judged from what the guests print and what the files hold.  Rows are
 * rounds (one memory layout each: link, copy, compressed) and negative
 * controls (sabotaged forks that must fail their rule). */
#ifndef SNAPFORK_VMCHECK_H
#define SNAPFORK_VMCHECK_H

#include "conform.h"
#include "vm.h"

enum vm_rule {
	VR_FORK,     /* the fork implementation succeeded */
	VR_MEMFILE,  /* the snapshot's inode where the link applies, else equal bytes */
	VR_RESUME,   /* first counter = the template's last + 1, no reboot */
	VR_OWN_TAG,  /* each guest sees its own tag only */
	VR_ADVANCE,  /* each guest's counter keeps rising by one */
	VR_INTACT,   /* the snapshot unchanged while guests run and after they quit */
	VR_DELETE,   /* deleting the snapshot keeps every guest running */
	VR_DEBRIS,   /* nothing but the forks left beside them, no *.tmp inside */
	VR_N
};
const char *vm_rule_name(int rule);
const char *vm_rule_title(int rule);

#define VM_MAX_FORKS 8
/* Where the template's snapshot keeps its mem-file and state. */
#define VM_LATEST "snapshots/snapshot-latest"
#define VM_MEM_REL VM_LATEST "/memory"
#define VM_ZST_REL VM_LATEST "/memory.zst"
#define VM_STATE_REL VM_LATEST "/state"

struct vm_row {
	char name[48];
	char what[160];          /* the layout, or what the control sabotages */
	enum conform_cell cell[VR_N];
	char *detail[VR_N];
	int expect;              /* a control: the rule it must fail; -1: a round */
	unsigned forks;
	double fork_ms[VM_MAX_FORKS], restore_ms[VM_MAX_FORKS], resume_ms[VM_MAX_FORKS];
	char note[300];          /* what the fork said (its fallback) */
};

/* The template's snapshot, as the rounds see it. */
struct vm_template {
	long last;            /* its last complete counter line */
	char partial[256];    /* its unfinished last line */
	double boot_ms, save_ms;
	char foreign_state[4400]; /* the other template's state file */
};

struct vm_cfg {
	struct vm_guest guest;
	unsigned forks;
	const char *work;      /* scratch: snapshots, forks, runtime dirs */
	const char *copy_dir;  /* forks of the copy round (another filesystem) */
	conform_fork_fn fork;
	void *fork_ctx;
	int keep;
	int boot_timeout_ms, step_timeout_ms;
};

/* Where a round's snapshot is and what it holds. */
struct vm_snap {
	char dir[4096];
	const char *mem_rel;   /* raw: snapshots/snapshot-latest/memory */
	const char *zst_rel;   /* or compressed-only: ...memory.zst; else NULL */
	const char *state_rel;
};

/* A sabotage: what a control does to its fork before it is restored. */
struct vm_sabotage {
	int share; /* restore with share=on (MAP_SHARED) */
	int (*spoil)(const struct vm_cfg *c, const struct vm_template *t, const char *fork,
		     char *err, size_t len);
};

/* Boot two templates of the same machine at once and save each into its
 * snapshot directory (made): the first is forked by the rounds, the
 * second by the negative controls, so that a fork that damages the
 * rounds' mem-file cannot blind the controls (and the other way round).
 * Each one's state is the other's foreign state. */
int vm_templates_make(const struct vm_cfg *c, const char *const snap[2], struct vm_template t[2],
		      char *err, size_t len);
/* Make dir a snapshot of the same template: the mem-file linked (or
 * compressed, when zst), the small files copied. */
int vm_snap_derive(const struct vm_snap *from, const struct vm_snap *to, char *err, size_t len);

/* One round: fork s N times into forks_dir, restore all, judge. */
void vm_round(const struct vm_cfg *c, const struct vm_template *t, const struct vm_snap *s,
	      const char *forks_dir, const struct vm_sabotage *sab, struct vm_row *row);
void vm_row_free(struct vm_row *row);
/* A FAIL (or SKIP) with its detail line; FAIL wins over SKIP and PASS. */
void vm_cell(struct vm_row *row, int rule, enum conform_cell cell, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The rule was judged: PASS unless it failed or was skipped. */
void vm_pass(struct vm_row *row, int rule);

/* Copy a small file (a state, a config) into the new file to. */
int vm_copy_small(const char *from, const char *to);

/* The negative controls' spoilers. */
int vm_spoil_truncate(const struct vm_cfg *c, const struct vm_template *t, const char *fork,
		      char *err, size_t len);
int vm_spoil_foreign(const struct vm_cfg *c, const struct vm_template *t, const char *fork,
		     char *err, size_t len);

/* QMP: save a stopped-to-be template; restore a fork started with
 * -incoming defer.  The time limit is on the whole migration. */
int vm_save(struct vm *v, const char *state_path, char *err, size_t len);
int vm_restore(struct vm *v, const char *state_path, int timeout_ms, char *err, size_t len);

/* ---- a run and its reports ---- */
struct vm_run {
	struct vm_row rows[8];
	size_t n;
	const char *fork_desc;
	char qemu_version[64], kernel[160];
	struct vm_template t[2]; /* the rounds', the controls' */
	char kernel_desc[200];   /* the guest kernel's package or file */
	const char *accel;       /* "kvm" or "tcg" */
	char accel_why[300];     /* why that one */
	char setup_error[1200];
	double wall_ms;
};
int vm_row_failed(const struct vm_row *row);   /* a round failed a rule */
int vm_row_detected(const struct vm_row *row); /* a control failed its rule */
void vm_print_table(FILE *out, const struct vm_run *run);
/* The guest (kernel and initrd given, or NULL: the default one in the
 * cache, made on first use) and QEMU (NULL: qemu-system-x86_64) into c
 * and run's descriptions; -1 with run->setup_error said. */
int vm_find_guest(const char *kernel, const char *initrd, const char *qemu, struct vm_cfg *c,
		  struct vm_run *run, char *kpath, char *ipath, size_t len);
int vm_write_junit(const struct vm_run *run, const char *path);
int vm_write_json(const struct vm_run *run, const char *path);

#endif
