/* left.c - what a command left running when it returned (child.h,
 * child_spec.settle_ms).  The harness makes itself a subreaper
 * (PR_SET_CHILD_SUBREAPER, prctl(2); an orphan is reparented to its
 * nearest living subreaper ancestor, kernel/exit.c find_new_reaper), so
 * nothing the command starts escapes: not by setsid, not by a double
 * fork, not by closing its descriptors.  Once the command's leader is
 * reaped, what it left is our children that nobody registered, and
 * their descendants. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"

#define LEFT_MAX 256
#define KILL_MS 10000 /* after SIGKILL: a process stuck in the kernel stays */

static pid_t on; /* the process that is a subreaper: not its fork(2)s */

int child_subreaper(void)
{
	if (on != getpid() && prctl(PR_SET_CHILD_SUBREAPER, 1) == 0)
		on = getpid();
	return on == getpid() ? 0 : -errno;
}

struct proc {
	pid_t pid, ppid;
	char state;
};

/* Every process, from /proc; its count. */
static size_t procs(struct proc **out)
{
	size_t n = 0, cap = 0;
	struct proc *v = NULL;
	DIR *d = opendir("/proc");
	for (struct dirent *de; d && (de = readdir(d));) {
		long pid = strtol(de->d_name, NULL, 10);
		char path[64], buf[512];
		if (pid <= 0)
			continue;
		snprintf(path, sizeof path, "/proc/%ld/stat", pid);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t k = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
		if (fd >= 0)
			close(fd);
		if (k <= 0)
			continue;
		buf[k] = '\0';
		const char *p = strrchr(buf, ')'); /* comm may hold spaces and ')' */
		struct proc q = { (pid_t)pid, 0, 0 };
		long ppid;
		if (!p || sscanf(p + 1, " %c %ld", &q.state, &ppid) != 2)
			continue;
		q.ppid = (pid_t)ppid;
		if (n == cap) {
			struct proc *t = realloc(v, (cap = cap ? 2 * cap : 256) * sizeof *t);
			if (!t)
				break;
			v = t;
		}
		v[n++] = q;
	}
	if (d)
		closedir(d);
	*out = v;
	return n;
}

static int in(const pid_t *set, size_t n, pid_t pid)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == pid)
			return 1;
	return 0;
}

/* Our children nobody registered (zombies reaped on the way) and their
 * living descendants: what a returned command left.  Their count. */
static size_t leftovers(pid_t *set, size_t max)
{
	struct proc *v;
	size_t n = procs(&v), k = 0;
	pid_t self = getpid();
	for (size_t i = 0; i < n && k < max; i++) {
		if (v[i].ppid != self || child_registered(v[i].pid))
			continue;
		if (v[i].state == 'Z') /* finished: only its status is left */
			waitpid(v[i].pid, NULL, WNOHANG);
		else
			set[k++] = v[i].pid;
	}
	for (size_t grew = 1; grew && k < max;) {
		grew = 0;
		for (size_t i = 0; i < n && k < max; i++)
			if (v[i].state != 'Z' && in(set, k, v[i].ppid) && !in(set, k, v[i].pid))
				set[k++] = v[i].pid, grew = 1;
	}
	free(v);
	return k;
}

/* "pid N: its command line" for each, joined with "; ", into out. */
static void describe(const pid_t *set, size_t n, char *out, size_t len)
{
	size_t k = 0;
	out[0] = '\0';
	for (size_t i = 0; i < n && k + 1 < len; i++) {
		char path[64], cmd[160] = "";
		snprintf(path, sizeof path, "/proc/%d/cmdline", (int)set[i]);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t r = fd >= 0 ? read(fd, cmd, sizeof cmd - 1) : -1;
		if (fd >= 0)
			close(fd);
		for (ssize_t j = 0; j < r; j++)
			if (cmd[j] == '\0' && j + 1 < r)
				cmd[j] = ' ';
		cmd[r > 0 ? r : 0] = '\0';
		k += (size_t)snprintf(out + k, len - k, "%spid %d: %s", k ? "; " : "", (int)set[i],
				      cmd[0] ? cmd : "(exited meanwhile)");
	}
}

static void nap_ms(int ms)
{
	poll(NULL, 0, ms);
}

size_t child_left_settle(int settle_ms, char *what, size_t len)
{
	pid_t set[LEFT_MAX];
	what[0] = '\0';
	if (on != getpid()) /* orphans went to init: nothing here to see */
		return 0;
	size_t n = leftovers(set, LEFT_MAX);
	if (n == 0)
		return 0;
	describe(set, n, what, len);
	/* The settle: time to finish by itself, as a job that returns
	 * early would; what it does meanwhile is judged after. */
	for (int64_t end = child_now_ms() + settle_ms; child_now_ms() < end && leftovers(set, LEFT_MAX);)
		nap_ms(20);
	for (int64_t end = child_now_ms() + KILL_MS; child_now_ms() < end;) {
		size_t k = leftovers(set, LEFT_MAX);
		if (k == 0)
			break;
		for (size_t i = 0; i < k; i++)
			kill(set[i], SIGKILL);
		nap_ms(10);
	}
	return n;
}
