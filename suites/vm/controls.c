/* controls.c - the negative controls' sabotage (vmcheck.h).  A vmcheck
 * that cannot see these failures proves nothing, so each run makes them:
 * a fork restored share=on (MAP_SHARED: the guest writes into the
 * snapshot's inode), a fork whose mem-file is shorter than the machine's
 * RAM, and a fork whose state belongs to another boot of the guest. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmcheck.h"

/* A new, shorter file in the fork's mem-file's place: the snapshot's
 * inode is not touched (truncating a hardlink would truncate it).  QEMU
 * refuses a backing file whose size differs from the RAM size. */
int vm_spoil_truncate(const struct vm_cfg *c, const struct vm_template *t, const char *fork,
		      char *err, size_t len)
{
	(void)t;
	char p[4300];
	snprintf(p, sizeof p, "%s/" VM_MEM_REL, fork);
	int fd = -1;
	if (unlink(p) < 0 || (fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0 ||
	    ftruncate(fd, (off_t)c->guest.mem_mib << 19) < 0) {
		snprintf(err, len, "%s: %s", p, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	close(fd);
	return 0;
}

/* The state of the second template (booted alongside, same machine)
 * with this template's memory: nothing in the pair ties them together. */
int vm_spoil_foreign(const struct vm_cfg *c, const struct vm_template *t, const char *fork,
		     char *err, size_t len)
{
	(void)c;
	char p[4300];
	snprintf(p, sizeof p, "%s/" VM_STATE_REL, fork);
	int r = unlink(p) < 0 ? -errno : vm_copy_small(t->foreign_state, p);
	if (r < 0)
		snprintf(err, len, "%s: %s", p, strerror(-r));
	return r;
}
