/* run.c - what runs on a kernel (kernels.h): the job script (check and
 * matrix with --json and --junit), run directly on the host kernel; the
 * guest's side is boot.c.  kern_spawn runs a helper with its output
 * logged. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kernels.h"

int kern_spawn(char *const *argv, const char *log)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], argv);
		dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The commands a kernel runs: check (unless --only names a matrix leg)
 * and the matrix on its legs, both with JSON and JUnit into dir. */
void kern_job_commands(const struct kern_opts *o, const char *self, const char *dir,
		       const char **legs, size_t nlegs, FILE *out)
{
	char list[1024] = "";
	int check = 0;
	for (size_t i = 0; i < nlegs; i++) {
		if (strcmp(legs[i], "check") == 0) {
			check = 1;
			continue;
		}
		size_t k = strlen(list);
		snprintf(list + k, sizeof list - k, "%s%s", k ? "," : "", legs[i]);
	}
	const char *fc = o->tmpl ? " --fork-cmd \"$FORK_CMD\"" : "";
	fprintf(out, "SF='%s'\nD='%s'\n", self, dir);
	if (o->tmpl) {
		fputs("FORK_CMD='", out);
		for (const char *p = o->tmpl; *p; p++)
			fputs(*p == '\'' ? "'\\''" : (char[]){ *p, 0 }, out);
		fputs("'\n", out);
	}
	if (check)
		fprintf(out, "\"$SF\" check%s --json \"$D/check.json\" --junit \"$D/check.xml\" "
			     ">\"$D/check.txt\" 2>&1\n",
			fc);
	if (list[0])
		fprintf(out, "\"$SF\" matrix --legs %s%s --json \"$D/matrix.json\" --junit "
			     "\"$D/matrix.xml\" >\"$D/matrix.txt\" 2>&1\n",
			list, fc);
	fputs("uname -r >\"$D/uname\"\n", out);
}

void kern_run_host(const struct kern_opts *o, const char *self, struct kern_result *r)
{
	const char *legs[KERN_MAX_LEGS];
	size_t n = kern_jobs(o, "host", legs, KERN_MAX_LEGS);
	char job[4200], log[4200];
	snprintf(job, sizeof job, "%s/job.sh", r->dir);
	snprintf(log, sizeof log, "%s/job.log", r->dir);
	FILE *f = fopen(job, "w");
	if (!f) {
		snprintf(r->error, sizeof r->error, "%s: %s", job, strerror(errno));
		return;
	}
	if (o->job) {
		fprintf(f, "D='%s'\n. '%s'\n", r->dir, o->job);
	} else {
		kern_job_commands(o, self, r->dir, legs, n, f);
	}
	fclose(f);
	struct utsname u;
	if (uname(&u) == 0)
		snprintf(r->uname, sizeof r->uname, "%s", u.release);
	char *argv[] = { "/bin/sh", job, NULL };
	r->job_rc = kern_spawn(argv, log);
	if (!o->job)
		kern_read_results(r, legs, n);
}
