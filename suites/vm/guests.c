/* guests.c - the rules judged from what the restored guests print
 * (vmcheck.h): each resumes where the template stopped, sees only its
 * own tag, keeps counting, and keeps running when the snapshot is
 * deleted.  The guest's loop (guest.sh) prints one counter line per turn
 * and takes "tag NAME" from its console. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "guests.h"

#define MAXC 4096

struct want {
	size_t counters; /* at least this many counter lines */
	const char *tag; /* with this tag (NULL: any) */
};

static int enough(const struct vm *v, const void *arg)
{
	const struct want *w = arg;
	static struct vm_count c[MAXC];
	int ready;
	size_t n = vm_counts(v, 0, c, MAXC, &ready);
	if (ready)
		return 1; /* booted again: no point waiting */
	if (!w->tag)
		return n >= w->counters;
	size_t k = 0;
	for (size_t i = 0; i < n && i < MAXC; i++)
		k += strcmp(c[i].tag, w->tag) == 0;
	return k >= w->counters;
}

/* Why v stopped short: QEMU's exit or the time limit, its own words and
 * the console's last lines. */
static void why(const struct vm *v, int r, int timeout_ms, char *out, size_t len)
{
	char q[500], con[500], how[120];
	vm_qemu_tail(v, q, sizeof q);
	vm_console_tail(v, con, sizeof con);
	if (r == -ECHILD && WIFEXITED(v->proc.status) && WEXITSTATUS(v->proc.status) == 0)
		snprintf(how, sizeof how, "the guest reset or crashed (QEMU runs with "
					  "-no-reboot and panic=-1: it exited, status 0)");
	else if (r == -ECHILD && WIFEXITED(v->proc.status))
		snprintf(how, sizeof how, "QEMU exited with status %d", WEXITSTATUS(v->proc.status));
	else if (r == -ECHILD)
		snprintf(how, sizeof how, "QEMU died");
	else if (r == -ETIMEDOUT)
		snprintf(how, sizeof how, "nothing in %d s", timeout_ms / 1000);
	else
		snprintf(how, sizeof how, "%s", strerror(-r));
	snprintf(out, len, "%s; QEMU: %s; console: %s", how, q, con);
}

void vm_judge_resume(const struct vm_cfg *c, const struct vm_template *t, struct vm *v,
		     struct vm_row *row, double *resume_ms)
{
	struct want w = { 1, NULL };
	int r = vm_wait(v, enough, &w, c->step_timeout_ms);
	struct vm_count first[1];
	int ready;
	size_t n = vm_counts(v, 0, first, 1, &ready);
	if (r < 0 && n == 0) {
		char msg[1200];
		why(v, r, c->step_timeout_ms, msg, sizeof msg);
		vm_cell(row, VR_RESUME, CONFORM_FAIL, "%s: did not resume: %s", v->name, msg);
		return;
	}
	*resume_ms = (double)(child_now_ms() - v->cont_ms);
	if (ready)
		vm_cell(row, VR_RESUME, CONFORM_FAIL, "%s: booted again instead of resuming",
			v->name);
	else if (first[0].n != t->last + 1 || strcmp(first[0].tag, "template") != 0)
		vm_cell(row, VR_RESUME, CONFORM_FAIL,
			"%s: first counter %ld tag=%s, expected %ld tag=template", v->name,
			first[0].n, first[0].tag, t->last + 1);
}

void vm_judge_tags(const struct vm_cfg *c, struct vm *v, const char *tag, struct vm_row *row)
{
	struct want w = { 3, tag };
	int r = vm_wait(v, enough, &w, c->step_timeout_ms);
	static struct vm_count k[MAXC];
	size_t n = vm_counts(v, 0, k, MAXC, NULL), own = 0;
	if (n > MAXC)
		n = MAXC;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(k[i].tag, tag) == 0) {
			own++;
		} else if (own > 0 || strcmp(k[i].tag, "template") != 0) {
			vm_cell(row, VR_OWN_TAG, CONFORM_FAIL, "%s: counter %ld has tag=%s, not %s",
				v->name, k[i].n, k[i].tag, tag);
			break;
		}
	}
	if (r < 0 && own < 3) {
		char msg[1200];
		why(v, r, c->step_timeout_ms, msg, sizeof msg);
		vm_cell(row, VR_OWN_TAG, CONFORM_FAIL, "%s: %zu counters with tag=%s: %s", v->name,
			own, tag, msg);
	}
}

void vm_judge_advance(struct vm *v, struct vm_row *row)
{
	static struct vm_count k[MAXC];
	size_t n = vm_counts(v, 0, k, MAXC, NULL);
	if (n > MAXC)
		n = MAXC;
	for (size_t i = 1; i < n; i++)
		if (k[i].n != k[i - 1].n + 1) {
			vm_cell(row, VR_ADVANCE, CONFORM_FAIL, "%s: counter went from %ld to %ld",
				v->name, k[i - 1].n, k[i].n);
			return;
		}
	if (n < 4)
		vm_cell(row, VR_ADVANCE, CONFORM_FAIL, "%s: only %zu counters after resuming",
			v->name, n);
}

size_t vm_judge_count(const struct vm *v)
{
	return vm_counts(v, 0, NULL, 0, NULL);
}

void vm_judge_alive(const struct vm_cfg *c, struct vm *v, size_t had, struct vm_row *row)
{
	struct want w = { had + 2, NULL };
	int r = vm_wait(v, enough, &w, c->step_timeout_ms), ready;
	vm_counts(v, 0, NULL, 0, &ready);
	if (ready)
		vm_cell(row, VR_DELETE, CONFORM_FAIL,
			"%s: booted again after the snapshot was deleted", v->name);
	else if (r < 0) {
		char msg[1200];
		why(v, r, c->step_timeout_ms, msg, sizeof msg);
		vm_cell(row, VR_DELETE, CONFORM_FAIL,
			"%s: stopped counting after the snapshot was deleted: %s", v->name, msg);
	}
}
