/* cmd_check.c - snapfork check: the conformance check of a fork
 * implementation (the reference library, or any command) on fixtures. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_run.h"
#include "cli.h"

/* The reference implementation, in process.  On success msg says how
 * the mem-file got there, and why when it was not linked. */
int check_fork_ref(void *ctx, const char *src, const char *dst, char *msg, size_t len)
{
	(void)ctx;
	struct snapfork_report rep;
	int r = snapfork_fork(src, dst, NULL, &rep);
	if (r < 0)
		snprintf(msg, len, "%s: %s (%s: %s)", rep.error_path,
			 rep.error_reason ? rep.error_reason : "", strerrorname_np(-r),
			 strerror(-r));
	else if (rep.mem_fallback_errno)
		snprintf(msg, len, "mem-file via %s; fallback: %s (%s: %s)",
			 snapfork_via_name(rep.mem_via),
			 rep.mem_fallback_reason ? rep.mem_fallback_reason : "",
			 strerrorname_np(rep.mem_fallback_errno), strerror(rep.mem_fallback_errno));
	else if (rep.kind != SNAPFORK_KIND_MEMORYLESS)
		snprintf(msg, len, "mem-file via %s", snapfork_via_name(rep.mem_via));
	return r;
}

/* 'it'\''s' - safe inside /bin/sh -c whatever the path holds. */
static void shell_quote(char **out, size_t *n, size_t *cap, const char *s)
{
	size_t need = *n + 4 * strlen(s) + 3;
	if (need > *cap) {
		*cap = need * 2;
		*out = realloc(*out, *cap);
	}
	char *o = *out + *n;
	*o++ = '\'';
	for (; *s; s++) {
		if (*s == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else {
			*o++ = *s;
		}
	}
	*o++ = '\'';
	*o = '\0';
	*n = (size_t)(o - *out);
}

static char *expand(const char *tmpl, const char *src, const char *dst)
{
	size_t n = 0, cap = strlen(tmpl) + 1;
	char *out = malloc(cap);
	out[0] = '\0';
	for (const char *p = tmpl; *p;) {
		if (strncmp(p, "{src}", 5) == 0 || strncmp(p, "{dst}", 5) == 0) {
			shell_quote(&out, &n, &cap, p[1] == 's' ? src : dst);
			p += 5;
			continue;
		}
		if (n + 2 > cap)
			out = realloc(out, cap *= 2);
		out[n++] = *p++;
		out[n] = '\0';
	}
	return out;
}

/* A command template run with /bin/sh -c; its output is kept for the
 * report (the last lines, as the error).  With uid set, the command runs
 * as that user (the matrix's protected_hardlinks leg). */
int check_fork_cmd(void *arg, const char *src, const char *dst, char *msg, size_t len)
{
	const struct fork_cmd *ctx = arg;
	char asrc[PATH_MAX], adst_dir[PATH_MAX], adst[PATH_MAX + NAME_MAX + 2];
	const char *slash = strrchr(dst, '/');
	char *parent = strndup(dst, slash ? (size_t)(slash - dst) : 0);
	if (!realpath(src, asrc) || !realpath(parent && *parent ? parent : ".", adst_dir)) {
		free(parent);
		snprintf(msg, len, "cannot resolve %s or %s: %s", src, dst, strerror(errno));
		return -1;
	}
	free(parent);
	snprintf(adst, sizeof adst, "%s/%s", adst_dir, slash ? slash + 1 : dst);
	char *cmd = expand(ctx->tmpl, asrc, adst);
	int pipefd[2] = { -1, -1 };
	pid_t pid = -1;
	fflush(NULL);
	if (pipe(pipefd) < 0 || (pid = fork()) < 0) {
		snprintf(msg, len, "cannot run the fork command: %s", strerror(errno));
		if (pipefd[0] >= 0) { /* pipe() worked, fork() did not */
			close(pipefd[0]);
			close(pipefd[1]);
		}
		free(cmd);
		return -1;
	}
	if (pid == 0) {
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		if (ctx->as_user &&
		    (setgroups(0, NULL) < 0 || setresgid(ctx->gid, ctx->gid, ctx->gid) < 0 ||
		     setresuid(ctx->uid, ctx->uid, ctx->uid) < 0)) {
			perror("dropping privileges");
			_exit(126);
		}
		cli_coverage_flush(); /* exec drops the counts otherwise */
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	char out[4096];
	size_t have = 0;
	ssize_t k;
	char buf[1024];
	while ((k = read(pipefd[0], buf, sizeof buf)) > 0) {
		/* Keep the tail: that is where errors are. */
		if (have + (size_t)k > sizeof out - 1) {
			size_t drop = have + (size_t)k - (sizeof out - 1);
			drop = drop > have ? have : drop;
			memmove(out, out + drop, have - drop);
			have -= drop;
		}
		size_t take = (size_t)k < sizeof out - 1 - have ? (size_t)k : sizeof out - 1 - have;
		memcpy(out + have, buf, take);
		have += take;
	}
	out[have] = '\0';
	close(pipefd[0]);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	free(cmd);
	while (have > 0 && out[have - 1] == '\n')
		out[--have] = '\0';
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		/* What the command said last, e.g. the fallback it took. */
		const char *last = strrchr(out, '\n');
		const char *fb = strstr(out, "fallback: ");
		snprintf(msg, len, "%s", fb ? fb : last ? last + 1 : out);
		return 0;
	}
	for (char *p = out; *p; p++)
		if (*p == '\n')
			*p = ' ';
	snprintf(msg, len, "exit %d: %s", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st),
		 have > 300 ? out + have - 300 : out);
	return -1;
}

/* The mount holding path: options from /proc/self/mountinfo (the
 * longest mount point that is a prefix of the path). */
static void mount_options(const char *path, char *out, size_t len)
{
	char real[PATH_MAX], line[8192], best[PATH_MAX] = "";
	snprintf(out, len, "unknown");
	if (!realpath(path, real))
		return;
	FILE *f = fopen("/proc/self/mountinfo", "r");
	while (f && fgets(line, sizeof line, f)) {
		char mnt[PATH_MAX], opts[1024], super[1024] = "", *dash = strstr(line, " - ");
		if (sscanf(line, "%*s %*s %*s %*s %4095s %1023s", mnt, opts) != 2 || !dash)
			continue;
		sscanf(dash + 3, "%*s %*s %1023s", super);
		size_t n = strlen(mnt);
		int prefix = strcmp(mnt, "/") == 0 ||
			     (strncmp(real, mnt, n) == 0 && (real[n] == '/' || real[n] == '\0'));
		if (prefix && n >= strlen(best)) {
			snprintf(best, sizeof best, "%s", mnt);
			snprintf(out, len, "%s,%s", opts, super);
		}
	}
	if (f)
		fclose(f);
}

void check_describe(struct check_run *run, const char *scratch)
{
	struct utsname u;
	if (uname(&u) == 0)
		snprintf(run->kernel, sizeof run->kernel, "%s %s", u.sysname, u.release);
	snprintf(run->scratch, sizeof run->scratch, "%s", scratch);
	mount_options(scratch, run->mount_options, sizeof run->mount_options);
	struct snapfork_probe p;
	if (snapfork_probe_at(AT_FDCWD, scratch, &p) == 0) {
		snprintf(run->fstype, sizeof run->fstype, "%s", p.fstype);
		snprintf(run->capabilities, sizeof run->capabilities,
			 "hardlink=%s reflink=%s seek_hole=%s copy_file_range=%s link_max=%ld",
			 p.hardlink ? "no" : "yes", p.reflink ? "no" : "yes",
			 p.seek_hole ? "no" : "yes", p.copy_range ? "no" : "yes", p.link_max);
	}
}

static const char usage[] =
	"usage: snapfork check [--fork-cmd TEMPLATE] [--scratch DIR] [--fork-dir DIR]\n"
	"                      [--fixture NAME|FILE.tar]... [--junit FILE] [--json FILE] [--keep]\n"
	"  Extract each fixture, fork it (the reference library, or TEMPLATE run with\n"
	"  /bin/sh -c, {src} and {dst} replaced by shell-quoted absolute paths) and\n"
	"  check every rule of CONTRACT.md.  Exit 0: every MUST rule holds; 1: one\n"
	"  fails; 2: usage or setup error.\n";

struct opts {
	const char *tmpl, *scratch, *fork_dir, *junit, *json;
	const char **fixtures;
	size_t nfix;
	int keep;
};

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "fork-cmd", required_argument, NULL, 'c' },
		{ "scratch", required_argument, NULL, 's' },
		{ "fork-dir", required_argument, NULL, 'd' },
		{ "fixture", required_argument, NULL, 'f' },
		{ "junit", required_argument, NULL, 'j' },
		{ "json", required_argument, NULL, 'J' },
		{ "keep", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->tmpl = optarg;
			break;
		case 's':
			o->scratch = optarg;
			break;
		case 'd':
			o->fork_dir = optarg;
			break;
		case 'f':
			o->fixtures[o->nfix++] = optarg;
			break;
		case 'j':
			o->junit = optarg;
			break;
		case 'J':
			o->json = optarg;
			break;
		case 'k':
			o->keep = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return 1;
		default:
			return -1;
		}
	}
	if (optind != argc)
		return -1;
	if (o->tmpl && (!strstr(o->tmpl, "{src}") || !strstr(o->tmpl, "{dst}")))
		return -2;
	return 0;
}

static int load_fixtures(const struct opts *o, struct sff_fixture **fx, size_t *n)
{
	char err[1024];
	if (o->nfix == 0) {
		if (sff_fixtures_list(fx, n, err, sizeof err) == 0)
			return 0;
		fprintf(stderr, "snapfork check: %s\n", err);
		return -1;
	}
	*fx = calloc(o->nfix, sizeof **fx);
	for (*n = 0; *n < o->nfix; (*n)++) {
		if (sff_fixture_resolve(o->fixtures[*n], &(*fx)[*n], err, sizeof err) < 0) {
			fprintf(stderr, "snapfork check: %s\n", err);
			return -1;
		}
	}
	return 0;
}

/* The refusal row needs a snapshot with a memory: the first raw one. */
static const struct sff_fixture *refusal_base(const struct sff_fixture *fx, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fx[i].kind && strcmp(fx[i].kind, "raw") == 0)
			return &fx[i];
	return n ? &fx[0] : NULL;
}

int check_run_fixtures(struct check_run *run, const struct sfc_conform *c,
		       const struct sff_fixture *fx, size_t n, const struct sff_fixture *refusal)
{
	size_t total = n + (refusal != NULL);
	run->rows = calloc(total, sizeof *run->rows);
	char err[1024];
	for (size_t i = 0; i < total; i++) {
		const struct sff_fixture *f = i < n ? &fx[i] : refusal;
		fprintf(stderr, "check: %s%s ...\n", i < n ? "" : "refusal:", f->name);
		int r = i < n ? sfc_conform_fixture(c, f, &run->rows[i], err, sizeof err)
			      : sfc_conform_refusal(c, f, &run->rows[i], err, sizeof err);
		run->n = i + 1;
		if (r < 0) {
			fprintf(stderr, "snapfork check: %s: setup failed: %s\n", f->name, err);
			snprintf(run->setup_error, sizeof run->setup_error, "%s: %s", f->name, err);
			return -1;
		}
	}
	return 0;
}

int cmd_check(int argc, char **argv)
{
	struct opts o = { 0 };
	o.fixtures = calloc((size_t)argc + 1, sizeof *o.fixtures);
	int p = parse(argc, argv, &o);
	if (p != 0) {
		free(o.fixtures);
		return p > 0 ? EXIT_OK
			     : cli_usage_error("check",
					       p == -2 ? "--fork-cmd needs {src} and {dst}"
						       : "bad arguments",
					       NULL);
	}
	struct sff_fixture *fx = NULL;
	size_t nfx = 0;
	char scratch[PATH_MAX] = "";
	struct check_run run = { 0 };
	int rc = EXIT_USAGE;
	if (load_fixtures(&o, &fx, &nfx) < 0 || nfx == 0)
		goto out;
	if (o.scratch) {
		snprintf(scratch, sizeof scratch, "%s", o.scratch);
	} else {
		const char *t = getenv("TMPDIR");
		snprintf(scratch, sizeof scratch, "%s/snapfork-check.XXXXXX",
			 t && *t ? t : "/var/tmp");
		if (!mkdtemp(scratch)) {
			cli_error("check", scratch, "cannot create the scratch directory", -errno);
			goto out;
		}
	}
	run.fork_desc = o.tmpl ? o.tmpl : "reference library (libsnapfork " SNAPFORK_VERSION ")";
	char repro[8192];
	snprintf(repro, sizeof repro, "snapfork check%s%s%s%s", o.tmpl ? " --fork-cmd '" : "",
		 o.tmpl ? o.tmpl : "", o.tmpl ? "'" : "", o.fork_dir ? " --fork-dir ..." : "");
	run.repro_base = repro;
	check_describe(&run, scratch);
	printf("snapfork check: %s\n  on %s, %s (%s), %s\n\n", run.fork_desc, run.kernel,
	       run.fstype, run.mount_options, run.capabilities);
	struct fork_cmd fc = { o.tmpl, 0, 0, 0 };
	struct sfc_conform c = { scratch, o.fork_dir, o.tmpl ? check_fork_cmd : check_fork_ref,
				 &fc,     o.keep,     NULL };
	if (check_run_fixtures(&run, &c, fx, nfx, refusal_base(fx, nfx)) < 0)
		goto out;
	check_print_table(&run);
	rc = EXIT_OK;
	for (size_t i = 0; i < run.n; i++)
		if (sfc_row_failed(&run.rows[i]))
			rc = EXIT_FAIL;
	int w;
	if (o.junit && (w = check_write_junit(&run, o.junit)) < 0) {
		cli_error("check", o.junit, "cannot write JUnit XML", w);
		rc = EXIT_USAGE;
	}
	if (o.json && (w = check_write_json(&run, o.json)) < 0) {
		cli_error("check", o.json, "cannot write JSON", w);
		rc = EXIT_USAGE;
	}
out:
	/* The scratch we made goes, unless a row kept its trees in it. */
	if (!o.scratch && scratch[0]) {
		int kept = 0;
		for (size_t i = 0; i < run.n; i++)
			kept |= run.rows[i].kept != NULL;
		if (!kept)
			sfc_remove_tree(scratch);
	}
	for (size_t i = 0; i < run.n; i++)
		sfc_row_free(&run.rows[i]);
	free(run.rows);
	sff_fixtures_free(fx, nfx);
	free(o.fixtures);
	return rc;
}
