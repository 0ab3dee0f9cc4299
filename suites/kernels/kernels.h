/* kernels.h - `snapfork kernels`: the conformance check and the
 * filesystem matrix on other kernels, each booted under QEMU (TCG) with
 * an initramfs that holds this build's snapfork, the tools the matrix
 * calls and the kernel's own modules (suites/vm/rootfs.sh); the host
 * kernel runs them directly.  One table: kernel x leg rows, rule columns. */
#ifndef SNAPFORK_KERNELS_H
#define SNAPFORK_KERNELS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "judge.h"

enum kern_cell { KC_NA = 0, KC_PASS, KC_FAIL, KC_WARN, KC_SKIP };

/* Columns 1..JUDGE_RULES are F1.., then C3 and C4 (power cuts). */
#define KERN_RULES (JUDGE_RULES + 3)
#define KERN_MAX_LEGS 24 /* check, the matrix legs (11), powercut (3): room to grow */
#define KERN_MAX 12

struct kern_leg {
	char name[32];       /* "check", or a matrix leg */
	enum kern_cell cell[KERN_RULES];
	char error[600];     /* the leg could not run: an ERROR row */
	int seconds;         /* its wall time (LEG.secs), or -1 */
};

struct kern_result {
	char label[160];     /* "host", a package name, or a kernel image's path */
	char uname[160];     /* uname -r as the kernel said it */
	char error[4800];    /* did not boot, panicked, hung: an ERROR row */
	char dir[4096];      /* its results: check.json, matrix.json, *.xml, logs */
	struct kern_leg legs[KERN_MAX_LEGS];
	size_t nlegs;
	double seconds;
	int job_rc;          /* a --job script's exit status */
	const char *accel;   /* a guest's: "kvm" or "tcg"; NULL on the host */
};

struct kern_opts {
	const char *kernels[KERN_MAX];
	size_t nkernels;
	const char *modules, *legs, *tmpl, *junit, *json, *only, *job, *cache, *qemu, *work;
	unsigned mem_mib, boot_timeout, leg_timeout, fork_timeout;
	const char *excludes[32]; /* --exclude NAME: to check and each matrix leg */
	size_t nexcl;
	const char *guest_files[16]; /* --guest-file: copied into each guest */
	size_t nguest;
	int durable; /* --durable: the --fork-cmd promises durability (powercut's C4) */
	const char *accel_want; /* --accel: auto (NULL), kvm, tcg */
	const char *accel;      /* what guests run with (vm_accel_choose) */
	char accel_why[300];
	int list, keep, explicit_kernels;
	char only_kernel[160], only_leg[32];
};

/* snapfork powercut, one leg per filesystem ("powercut-ext4", ...). */
#define KERN_POWER_LEGS 3
extern const char *const kern_power_legs[KERN_POWER_LEGS];
/* 1 if the len bytes at name are a leg's name (check, a matrix leg, a
 * powercut leg). */
int kern_leg_known(const char *name, size_t len);
/* A rule's column ("F3" 3, "C3" JUDGE_RULES + 1), or -1; its name back. */
int kern_rule_column(const char *id);
void kern_rule_name(int column, char *out, size_t len);

/* inputs.c: every file option readable, --exclude known, --durable with
 * --fork-cmd; else a usage error printed and nonzero. */
int kern_check_inputs(const struct kern_opts *o);

/* What runs on one kernel: "check" and the chosen matrix legs (legs may
 * be NULL: the count). */
size_t kern_jobs(const struct kern_opts *o, const char *kernel, const char **legs, size_t max);

/* The job script's commands: check and each matrix leg, each under
 * `timeout` o->leg_timeout, with LEG.json, LEG.xml, LEG.txt and LEG.rc
 * into dir; guest: its "mark" lines go to the console. */
void kern_job_commands(const struct kern_opts *o, const char *self, const char *dir,
		       const char **legs, size_t nlegs, int guest, FILE *out);
/* How long a job of nlegs legs may take in all (each leg its own limit). */
int64_t kern_job_limit_ms(const struct kern_opts *o, size_t nlegs);
/* Run the check and the matrix on the host kernel, as child processes. */
void kern_run_host(const struct kern_opts *o, const char *self, struct kern_result *r);
/* guest.c: boot g with disk as its results disk and follow the job to
 * its end, each leg under its own limit; r->uname set; 0, or -1 with
 * r->error (console.log written into r->dir either way). */
struct vm_guest;
int kern_boot(const struct kern_opts *o, struct kern_result *r, const struct vm_guest *g,
	      const char *disk);
/* Boot kernel spec (a package, or an image with o->modules) and run the
 * same inside. */
void kern_run_guest(const struct kern_opts *o, const char *self, const char *spec,
		    struct kern_result *r);

/* Extract the tar a guest wrote onto its results disk into dir: 0, or
 * -errno with the reason in err (no tar, a damaged one, no entries). */
int kern_results_extract(const char *disk, const char *dir, char *err, size_t len);
/* Read each leg's LEG.json (and LEG.rc) in r->dir into r->legs: a leg
 * without its report is an error naming why (its limit, its exit). */
void kern_read_results(struct kern_result *r, const char *const *legs, size_t nlegs,
		       unsigned limit);

void kern_print_table(const struct kern_result *r, size_t n);
int kern_write_json(const char *path, const struct kern_result *r, size_t n);
int kern_write_junit(const char *path, const struct kern_result *r, size_t n);
/* 1 if any leg of any kernel failed a MUST rule or errored. */
int kern_failed(const struct kern_result *r, size_t n);

/* Copy every <testsuite> of the JUnit file in into out, with props
 * (name/value pairs, NULL-terminated) added to each suite's properties.
 * 0, or -errno. */
int kern_junit_copy(FILE *out, const char *in, const char *const *props);

#endif
