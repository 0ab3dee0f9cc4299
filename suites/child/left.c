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

size_t child_procs(struct child_proc **out)
{
	size_t n = 0, cap = 0;
	struct child_proc *v = NULL;
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
		/* pid (comm) state ppid pgrp: comm may hold spaces and ')'. */
		const char *p = strrchr(buf, ')');
		struct child_proc q = { (pid_t)pid, 0, 0, 0 };
		long ppid, pgrp;
		if (!p || sscanf(p + 1, " %c %ld %ld", &q.state, &ppid, &pgrp) != 3)
			continue;
		q.ppid = (pid_t)ppid;
		q.pgrp = (pid_t)pgrp;
		if (n == cap) {
			struct child_proc *t = realloc(v, (cap = cap ? 2 * cap : 256) * sizeof *t);
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
	struct child_proc *v;
	size_t n = child_procs(&v), k = 0;
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

/* What was seen left: every process, with the last command line read
 * from it (a shell's fork becomes what it execs). */
struct seen {
	pid_t pid;
	char cmd[160];
};

/* Add set's processes to s (*ns of them) and read their command lines
 * again.  Called on every pass, as a leftover may fork, exec or exit
 * between two: a double fork's middle process is gone before its child
 * is seen. */
static void note(struct seen *s, size_t *ns, const pid_t *set, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t j = 0;
		while (j < *ns && s[j].pid != set[i])
			j++;
		if (j == *ns) {
			if (*ns == LEFT_MAX)
				continue;
			s[(*ns)++] = (struct seen){ .pid = set[i] };
		}
		char path[64], cmd[sizeof s->cmd];
		snprintf(path, sizeof path, "/proc/%d/cmdline", (int)set[i]);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t r = fd >= 0 ? read(fd, cmd, sizeof cmd - 1) : -1;
		if (fd >= 0)
			close(fd);
		if (r <= 0)
			continue;
		for (ssize_t k = 0; k < r; k++)
			if (cmd[k] == '\0' && k + 1 < r)
				cmd[k] = ' ';
		cmd[r] = '\0';
		memcpy(s[j].cmd, cmd, (size_t)r + 1);
	}
}

/* "pid N: its command line" for each, joined with "; ", into out. */
static void describe(const struct seen *s, size_t n, char *out, size_t len)
{
	size_t k = 0;
	out[0] = '\0';
	for (size_t i = 0; i < n && k + 1 < len; i++)
		k += (size_t)snprintf(out + k, len - k, "%spid %d: %s", k ? "; " : "", (int)s[i].pid,
				      s[i].cmd[0] ? s[i].cmd : "(exited before it was read)");
}

static void nap_ms(int ms)
{
	poll(NULL, 0, ms);
}

size_t child_left_settle(int settle_ms, char *what, size_t len)
{
	pid_t set[LEFT_MAX];
	static struct seen seen[LEFT_MAX]; /* 40 KiB: not on the stack */
	size_t ns = 0;
	what[0] = '\0';
	if (on != getpid()) /* orphans went to init: nothing here to see */
		return 0;
	size_t n = leftovers(set, LEFT_MAX);
	if (n == 0)
		return 0;
	note(seen, &ns, set, n);
	/* The settle: time to finish by itself, as a job that returns
	 * early would; what it does meanwhile is judged after. */
	for (int64_t end = child_now_ms() + settle_ms; child_now_ms() < end;) {
		n = leftovers(set, LEFT_MAX);
		if (n == 0)
			break;
		note(seen, &ns, set, n);
		nap_ms(20);
	}
	for (int64_t end = child_now_ms() + KILL_MS; child_now_ms() < end;) {
		size_t k = leftovers(set, LEFT_MAX);
		if (k == 0)
			break;
		note(seen, &ns, set, k);
		for (size_t i = 0; i < k; i++)
			kill(set[i], SIGKILL);
		nap_ms(10);
	}
	describe(seen, ns, what, len);
	return ns;
}
