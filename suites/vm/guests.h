/* guests.h - vmcheck's rules judged from the guests' consoles (guests.c). */
#ifndef SNAPFORK_VM_GUESTS_H
#define SNAPFORK_VM_GUESTS_H

#include "vmcheck.h"

/* VR_RESUME: the first counter line is the template's last + 1, with the
 * template's tag, and no boot in between; *resume_ms: cont to that line. */
void vm_judge_resume(const struct vm_cfg *c, const struct vm_template *t, struct vm *v,
		     struct vm_row *row, double *resume_ms);
/* VR_OWN_TAG: after "tag NAME" was sent, three counters with it and none
 * with another. */
void vm_judge_tags(const struct vm_cfg *c, struct vm *v, const char *tag, struct vm_row *row);
/* VR_ADVANCE: every counter one more than the one before, four at least. */
void vm_judge_advance(struct vm *v, struct vm_row *row);
/* VR_DELETE: two more counters after the count had. */
size_t vm_judge_count(const struct vm *v);
void vm_judge_alive(const struct vm_cfg *c, struct vm *v, size_t had, struct vm_row *row);

#endif
