/* accel.c - which accelerator QEMU runs guests with (vm.h): KVM where
 * /dev/kvm opens read-write (QEMU issues KVM_CREATE_VM on that descriptor)
 * and the CPU has hardware virtualization (vmx or svm in /proc/cpuinfo),
 * TCG otherwise; always with the reason, so that a run's report says why
 * it was as fast or as slow as it was.  The flag matters: a sandbox can
 * offer a /dev/kvm that opens and answers ioctls while a guest under it
 * never prints a line (seen on this project's CI machine). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vm.h"

/* 1 if a "flags" line of /proc/cpuinfo holds vmx or svm. */
static int cpu_virt(void)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[8192];
	int found = 0;
	while (f && !found && fgets(line, sizeof line, f))
		found = !strncmp(line, "flags", 5) && (strstr(line, " vmx") || strstr(line, " svm"));
	if (f)
		fclose(f);
	return found;
}

int vm_accel_choose(const char *want, const char **chosen, char *why, size_t len)
{
	if (!want || !strcmp(want, "auto") || !strcmp(want, "kvm")) {
		int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
		int e = errno, virt = cpu_virt();
		if (fd >= 0)
			close(fd);
		if (fd >= 0 && virt) {
			*chosen = "kvm";
			snprintf(why, len, "/dev/kvm opens read-write, the CPU has vmx/svm");
			return 0;
		}
		char cause[160];
		if (fd < 0)
			snprintf(cause, sizeof cause, "/dev/kvm: %s", strerror(e));
		else
			snprintf(cause, sizeof cause,
				 "/dev/kvm opens but the CPU has no vmx or svm flag");
		if (want && !strcmp(want, "kvm")) {
			snprintf(why, len, "--accel kvm: %s (no KVM here: --accel tcg, or auto)", cause);
			return fd < 0 ? -e : -ENODEV;
		}
		*chosen = "tcg";
		snprintf(why, len, "%s", cause);
		return 0;
	}
	if (!strcmp(want, "tcg")) {
		*chosen = "tcg";
		snprintf(why, len, "asked for (--accel tcg)");
		return 0;
	}
	snprintf(why, len, "--accel takes auto, kvm or tcg, not %s", want);
	return -EINVAL;
}
