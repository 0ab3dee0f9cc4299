/* round.c - one row of vmcheck (vmcheck.h): fork the snapshot N times,
 * restore every fork at once in its own QEMU (share=off: MAP_PRIVATE),
 * let the guests run and write, delete the snapshot under them, quit
 * them; judge each rule on the way.  A control is the same round with
 * one fork sabotaged. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "files.h"
#include "guests.h"
#include "vmcheck.h"

struct round {
	const struct vm_cfg *c;
	const struct vm_template *t;
	const struct vm_snap *s;
	const struct vm_sabotage *sab;
	struct vm_row *row;
	unsigned n;
	char forks[VM_MAX_FORKS][4200];
	const char *fp[VM_MAX_FORKS];
	struct vm vms[VM_MAX_FORKS];
	int running[VM_MAX_FORKS];
	int intact_judged;
};

static int fork_all(struct round *r)
{
	int ok = 1;
	for (unsigned i = 0; i < r->n; i++) {
		char msg[1000] = "";
		int64_t t0 = child_now_ms();
		int rc = r->c->fork(r->c->fork_ctx, r->s->dir, r->forks[i], msg, sizeof msg);
		r->row->fork_ms[i] = (double)(child_now_ms() - t0);
		if (rc != 0) {
			vm_cell(r->row, VR_FORK, CONFORM_FAIL, "fork-%u: %s", i + 1, msg);
			ok = 0;
		} else if (i == 0) {
			snprintf(r->row->note, sizeof r->row->note, "%.299s", msg);
		}
	}
	if (ok)
		vm_pass(r->row, VR_FORK);
	return ok;
}

/* Start each fork's QEMU, paused, and load its state; then let all run. */
static void restore_all(struct round *r)
{
	for (unsigned i = 0; i < r->n; i++) {
		struct vm *v = &r->vms[i];
		char run[4300], mem[4300], state[4300], name[32], err[1500];
		snprintf(run, sizeof run, "%s/run-%s-fork-%u", r->c->work, r->row->name, i + 1);
		for (char *p = run + strlen(r->c->work); *p; p++)
			if (*p == ':')
				*p = '-';
		snprintf(mem, sizeof mem, "%s/%s", r->forks[i], r->s->mem_rel);
		snprintf(state, sizeof state, "%s/%s", r->forks[i], r->s->state_rel);
		snprintf(name, sizeof name, "fork-%u", i + 1);
		struct vm_start st = { mem, r->sab && r->sab->share, 1, NULL };
		int64_t t0 = child_now_ms();
		int rc = vm_start(v, name, run, &r->c->guest, &st, err, sizeof err);
		if (rc == 0)
			rc = vm_restore(v, state, r->c->step_timeout_ms, err, sizeof err);
		r->row->restore_ms[i] = (double)(child_now_ms() - t0);
		if (rc < 0) {
			vm_cell(r->row, VR_RESUME, CONFORM_FAIL, "%s: not restored: %s", name, err);
			vm_stop(v);
			continue;
		}
		r->running[i] = 1;
	}
	for (unsigned i = 0; i < r->n; i++) {
		struct vm *v = &r->vms[i];
		char err[600];
		if (!r->running[i])
			continue;
		/* The fork's console continues the template's: its first line
		 * may finish the template's unfinished one. */
		size_t k = strlen(r->t->partial);
		v->out = malloc(k + 1);
		if (v->out)
			memcpy(v->out, r->t->partial, k + 1);
		v->len = v->start = v->out ? k : 0;
		v->cap = v->len + 1;
		if (vm_cont(v, err, sizeof err) < 0) {
			vm_cell(r->row, VR_RESUME, CONFORM_FAIL, "%s: %s", v->name, err);
			r->running[i] = 0;
		}
	}
}

static void run_guests(struct round *r)
{
	for (unsigned i = 0; i < r->n; i++) {
		if (!r->running[i])
			continue;
		enum conform_cell was = r->row->cell[VR_RESUME];
		vm_judge_resume(r->c, r->t, &r->vms[i], r->row, &r->row->resume_ms[i]);
		if (r->row->cell[VR_RESUME] == CONFORM_FAIL && was != CONFORM_FAIL) {
			/* A guest that did not resume has nothing more to tell. */
			vm_stop(&r->vms[i]);
			r->running[i] = 0;
		}
	}
	for (unsigned i = 0; i < r->n; i++) {
		char line[64];
		snprintf(line, sizeof line, "tag %s\n", r->vms[i].name);
		if (r->running[i] && vm_send(&r->vms[i], line) < 0)
			vm_cell(r->row, VR_OWN_TAG, CONFORM_FAIL, "%s: cannot write its console",
				r->vms[i].name);
	}
	for (unsigned i = 0; i < r->n; i++)
		if (r->running[i])
			vm_judge_tags(r->c, &r->vms[i], r->vms[i].name, r->row);
}

/* Delete the snapshot while the guests run (a second name for each of
 * its files stays in ref, for the check after they quit). */
static int delete_snapshot(struct round *r, const char *ref)
{
	char err[600];
	size_t had[VM_MAX_FORKS];
	if (vm_ref_links(r->s->dir, ref, err, sizeof err) < 0) {
		vm_cell(r->row, VR_DELETE, CONFORM_FAIL, "cannot keep the snapshot's inodes: %s", err);
		return -1;
	}
	for (unsigned i = 0; i < r->n; i++)
		had[i] = vm_judge_count(&r->vms[i]);
	int rc = judge_remove_tree(r->s->dir);
	if (rc < 0) {
		vm_cell(r->row, VR_DELETE, CONFORM_FAIL, "%s: cannot delete: %s", r->s->dir,
			strerror(-rc));
		return -1;
	}
	for (unsigned i = 0; i < r->n; i++)
		if (r->running[i])
			vm_judge_alive(r->c, &r->vms[i], had[i], r->row);
	vm_pass(r->row, VR_DELETE);
	return 0;
}

static void with_guests(struct round *r, struct vm_intact *before)
{
	restore_all(r);
	int any = 0;
	for (unsigned i = 0; i < r->n; i++)
		any |= r->running[i];
	if (!any)
		return; /* VR_RESUME failed for each; the rest cannot be seen */
	run_guests(r);
	vm_pass(r->row, VR_RESUME);
	any = 0;
	for (unsigned i = 0; i < r->n; i++)
		any |= r->running[i];
	vm_check_intact(r->s, before, "while the guests ran", 0, r->row);
	r->intact_judged = 1;
	if (!any)
		return; /* none resumed: the rules that follow cannot be seen */
	vm_pass(r->row, VR_OWN_TAG);
	char ref[4300];
	snprintf(ref, sizeof ref, "%s.ref", r->s->dir);
	int deleted = delete_snapshot(r, ref) == 0;
	for (unsigned i = 0; i < r->n; i++) {
		if (r->running[i])
			vm_judge_advance(&r->vms[i], r->row);
		vm_stop(&r->vms[i]);
	}
	vm_pass(r->row, VR_ADVANCE);
	if (deleted) {
		struct vm_snap refsnap = *r->s;
		snprintf(refsnap.dir, sizeof refsnap.dir, "%.4095s", ref);
		vm_check_intact(&refsnap, before, "after the guests quit", 1, r->row);
	} else {
		vm_check_intact(r->s, before, "after the guests quit", 0, r->row);
	}
	judge_remove_tree(ref);
}

void vm_round(const struct vm_cfg *c, const struct vm_template *t, const struct vm_snap *s,
	      const char *forks_dir, const struct vm_sabotage *sab, struct vm_row *row)
{
	struct round *r = calloc(1, sizeof *r);
	struct vm_intact before;
	char err[1200];
	if (!r)
		return;
	r->c = c;
	r->t = t;
	r->s = s;
	r->sab = sab;
	r->row = row;
	r->n = sab ? 1 : c->forks;
	row->forks = r->n;
	for (unsigned i = 0; i < r->n; i++) {
		snprintf(r->forks[i], sizeof r->forks[i], "%s/fork-%u", forks_dir, i + 1);
		r->fp[i] = r->forks[i];
		r->vms[i].serial = r->vms[i].qmp.fd = -1;
	}
	if (vm_intact_take(s, &before, err, sizeof err) < 0) {
		vm_cell(row, VR_INTACT, CONFORM_FAIL, "cannot read the snapshot: %s", err);
		free(r);
		return;
	}
	if (mkdir(forks_dir, 0755) < 0 && errno != EEXIST)
		vm_cell(row, VR_FORK, CONFORM_FAIL, "%s: %s", forks_dir, strerror(errno));
	else if (fork_all(r)) {
		vm_check_debris(forks_dir, r->n, r->fp, row);
		vm_pass(row, VR_DEBRIS);
		int raw = 1;
		for (unsigned i = 0; i < r->n; i++)
			raw &= vm_check_memfile(s, r->forks[i], row);
		vm_pass(row, VR_MEMFILE);
		char why[600] = "";
		if (raw && sab && sab->spoil &&
		    sab->spoil(c, t, r->forks[0], why, sizeof why) < 0)
			vm_cell(row, VR_FORK, CONFORM_FAIL, "the sabotage failed: %s", why);
		else if (raw)
			with_guests(r, &before);
		else
			for (int k = VR_RESUME; k <= VR_DELETE; k++)
				vm_cell(row, k, CONFORM_SKIP, "%s",
					"the fork kept only the compressed mem-file (the contract's "
					"fallback): a VMM must decompress it before a restore");
	}
	if (!r->intact_judged)
		vm_check_intact(s, &before, "after the forks", 0, row);
	vm_pass(row, VR_INTACT);
	judge_state_free(&before.state);
	for (unsigned i = 0; i < r->n; i++) {
		vm_stop(&r->vms[i]);
		free(r->vms[i].out);
	}
	free(r);
}
