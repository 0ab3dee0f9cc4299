/* run.c - what runs on a kernel (kernels.h): the job script (check and
 * each matrix leg with --json and --junit, each under its own limit),
 * run directly on the host kernel; the guest's side is boot.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "child.h"
#include "kernels.h"

/* "ext4" and the like are names of the matrix's own table (legs.c); the
 * job's file names are built from them. */
static void put_quoted(FILE *out, const char *name, const char *value)
{
	char *q = child_sh_quote(value);
	fprintf(out, "%s=%s\n", name, q ? q : "''");
	free(q);
}

/* Each leg runs on its own under `timeout` (coreutils' on the host,
 * busybox's in a guest: both send SIGTERM, which snapfork answers by
 * stopping its children, undoing its mounts and exiting 143), so a hung
 * leg costs its own limit only.  Its exit status goes to LEG.rc, its
 * wall time in seconds to LEG.secs (what each leg costs); "mark"
 * tells the host which leg runs (a guest's console; the host's log). */
void kern_job_commands(const struct kern_opts *o, const char *self, const char *dir,
		       const char **legs, size_t nlegs, int guest, FILE *out)
{
	put_quoted(out, "SF", self);
	put_quoted(out, "D", dir);
	if (o->tmpl)
		put_quoted(out, "FORK_CMD", o->tmpl);
	fprintf(out, "mark() { echo \"SNAPFORK-LEG $*\"%s; }\n", guest ? " >/dev/console" : "");
	/* On the host, what a failing leg keeps (check's rows, the matrix's
	 * artifacts) stays in the kernel's directory, not in /var/tmp.  A
	 * guest's /var/tmp dies with it (its trees would overflow the
	 * results disk). */
	if (!guest)
		fputs("export TMPDIR=\"$D/tmp\"\nmkdir -p \"$TMPDIR\"\n", out);
	char fc[64 + 32 * 80] = "", pc[96] = "";
	size_t k = 0;
	if (o->tmpl && o->fork_timeout)
		k = (size_t)snprintf(fc, sizeof fc, " --fork-cmd \"$FORK_CMD\" --fork-timeout %u",
				     o->fork_timeout);
	else if (o->tmpl)
		k = (size_t)snprintf(fc, sizeof fc, " --fork-cmd \"$FORK_CMD\"");
	/* powercut takes no --exclude; its forks get half the leg's limit
	 * unless told, so that a hung fork fails its row, not the leg. */
	snprintf(pc, sizeof pc, "%s%s --fork-timeout %u", o->tmpl ? " --fork-cmd \"$FORK_CMD\"" : "",
		 o->durable ? " --durable" : "",
		 o->fork_timeout ? o->fork_timeout : (o->leg_timeout / 2 ? o->leg_timeout / 2 : 1));
	for (size_t x = 0; x < o->nexcl && k < sizeof fc; x++) {
		char *q = child_sh_quote(o->excludes[x]); /* a fixture's name: short */
		k += (size_t)snprintf(fc + k, sizeof fc - k, " --exclude %s", q ? q : "''");
		free(q);
	}
	for (size_t i = 0; i < nlegs; i++) {
		const char *leg = legs[i];
		char cmd[200];
		const char *extra = fc;
		if (strcmp(leg, "check") == 0)
			snprintf(cmd, sizeof cmd, "check");
		else if (strncmp(leg, "powercut-", 9) == 0)
			snprintf(cmd, sizeof cmd, "powercut --fs %s", leg + 9), extra = pc;
		else if (guest)
			snprintf(cmd, sizeof cmd, "matrix --legs %s", leg);
		else
			snprintf(cmd, sizeof cmd, "matrix --legs %s --artifacts \"$D/%s-artifacts\"", leg,
				 leg);
		/* coreutils' timeout puts the leg in a process group of its
		 * own unless --foreground: then stopping the job would miss it. */
		fprintf(out,
			"mark start %s\nt0=$(date +%%s)\ntimeout%s %u \"$SF\" %s%s --json \"$D/%s.json\" "
			"--junit \"$D/%s.xml\" >\"$D/%s.txt\" 2>&1\necho $? >\"$D/%s.rc\"\n"
			"echo $(($(date +%%s) - t0)) >\"$D/%s.secs\"\nmark end %s\n",
			leg, guest ? "" : " --foreground", o->leg_timeout, cmd, extra, leg, leg, leg, leg,
			leg, leg);
	}
	fputs("uname -r >\"$D/uname\"\n", out);
}

/* Every leg's limit and a minute more each (its cleanup after the limit). */
int64_t kern_job_limit_ms(const struct kern_opts *o, size_t nlegs)
{
	return ((int64_t)o->leg_timeout + 60) * (int64_t)(nlegs ? nlegs : 1) * 1000;
}

/* The job under its limit.  Stopping it gives snapfork inside time to
 * stop its own children and unmount (30 s, not the default 2). */
static int run_job(char *job, const char *log, int64_t limit_ms)
{
	char *argv[] = { "/bin/sh", job, NULL };
	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	struct child_spec s = { .argv = argv, .out = fd, .grace_ms = 30000 };
	struct child c;
	int r = child_start(&c, &s);
	close(fd);
	if (r == 0 && (r = child_wait(&c, child_deadline_ms(limit_ms))) < 0)
		child_stop(&c);
	return r < 0 ? r : child_exit_code(&c);
}

void kern_run_host(const struct kern_opts *o, const char *self, struct kern_result *r)
{
	const char *legs[KERN_MAX_LEGS];
	size_t n = kern_jobs(o, "host", legs, KERN_MAX_LEGS);
	char job[4200], log[4200];
	snprintf(job, sizeof job, "%s/job.sh", r->dir);
	snprintf(log, sizeof log, "%s/job.log", r->dir);
	FILE *f = fopen(job, "we");
	if (!f) {
		snprintf(r->error, sizeof r->error, "%s: %s", job, strerror(errno));
		return;
	}
	if (o->job) {
		put_quoted(f, "D", r->dir);
		put_quoted(f, "JOB", o->job);
		fputs(". \"$JOB\"\n", f);
	} else {
		kern_job_commands(o, self, r->dir, legs, n, 0, f);
	}
	if (fclose(f) != 0) {
		snprintf(r->error, sizeof r->error, "%s: %s", job, strerror(errno));
		return;
	}
	struct utsname u;
	if (uname(&u) == 0)
		snprintf(r->uname, sizeof r->uname, "%s", u.release);
	int64_t limit = o->job ? (int64_t)o->leg_timeout * 1000 : kern_job_limit_ms(o, n);
	r->job_rc = run_job(job, log, limit);
	if (r->job_rc == -ETIMEDOUT)
		snprintf(r->error, sizeof r->error, "the job did not finish within %lld s (killed; see %s)",
			 (long long)(limit / 1000), log);
	else if (r->job_rc == -EINTR)
		snprintf(r->error, sizeof r->error, "stopped by signal %d", child_interrupted());
	else if (r->job_rc < 0)
		snprintf(r->error, sizeof r->error, "cannot run %s: %s", job, strerror(-r->job_rc));
	else if (!o->job)
		kern_read_results(r, legs, n, o->leg_timeout);
}
