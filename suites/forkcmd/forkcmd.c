/* forkcmd.c - the process runner for --fork-cmd: expand the template,
 * run it with /bin/sh -c (as another user when asked), keep the tail of
 * its output for the report. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "cli.h"
#include "forkcmd.h"

int forkcmd_template_ok(const char *tmpl)
{
	/* "{src}" or '{src}' would quote the quoted word again: the command
	 * would get quote characters in its paths. */
	static const char *const quoted[] = { "\"{src}\"", "'{src}'", "\"{dst}\"", "'{dst}'" };
	for (size_t i = 0; tmpl && i < sizeof quoted / sizeof *quoted; i++)
		if (strstr(tmpl, quoted[i]))
			return 0;
	return tmpl && strstr(tmpl, "{src}") && strstr(tmpl, "{dst}");
}

char *forkcmd_expand(const char *tmpl, const char *src, const char *dst)
{
	char *qs = child_sh_quote(src), *qd = child_sh_quote(dst), *out = NULL;
	size_t n = 0, cap = 0;
	/* At most one path per 5 bytes of the template. */
	if (qs && qd)
		cap = strlen(tmpl) + (strlen(tmpl) / 5 + 1) * (strlen(qs) + strlen(qd)) + 1;
	if (cap)
		out = malloc(cap);
	for (const char *p = tmpl; out && *p;) {
		int is_src = strncmp(p, "{src}", 5) == 0;
		if (is_src || strncmp(p, "{dst}", 5) == 0) {
			const char *q = is_src ? qs : qd;
			memcpy(out + n, q, strlen(q));
			n += strlen(q);
			p += 5;
		} else {
			out[n++] = *p++;
		}
	}
	if (out)
		out[n] = '\0';
	free(qs);
	free(qd);
	return out;
}

/* The last lines of out (at most TAIL_LINES), in order, into msg; a line
 * longer than TAIL_COLS keeps its start and its end with " ... " between:
 * a path past PATH_MAX fills the middle, while the tool's name and the
 * errno text, what a reader needs, sit at the ends. */
#define TAIL_LINES 6
#define OUT_TAIL (64u << 10) /* deep's paths run past PATH_MAX: whole lines */
#define TAIL_COLS 220
static void tail_lines(const char *out, char *msg, size_t len)
{
	const char *start = out + strlen(out);
	for (int lines = 0; start > out && lines < TAIL_LINES; lines++) {
		start--; /* past the newline that ends the line before */
		while (start > out && start[-1] != '\n')
			start--;
	}
	size_t k = 0;
	msg[0] = '\0';
	for (const char *p = start; *p && k + 1 < len;) {
		size_t n = strcspn(p, "\n");
		if (n > TAIL_COLS)
			k += (size_t)snprintf(msg + k, len - k, "%.*s ... %.*s", TAIL_COLS - 80, p, 75,
					      p + n - 75);
		else
			k += (size_t)snprintf(msg + k, len - k, "%.*s", (int)n, p);
		if (k >= len)
			break;
		p += n;
		if (*p == '\n' && p[1] && k + 1 < len)
			msg[k++] = '\n', msg[k] = '\0';
		p += *p == '\n';
	}
}

/* The command's verdict in msg: on success what it said last (e.g. the
 * fallback it took), else its exit status and its last output lines. */
static int verdict(int code, const char *out, char *msg, size_t len)
{
	if (code == 0) {
		const char *last = strrchr(out, '\n');
		const char *fb = strstr(out, "fallback: ");
		snprintf(msg, len, "%s", fb ? fb : last ? last + 1 : out);
		return 0;
	}
	int k = snprintf(msg, len, "exit %d%s", code, out[0] ? "; its output ended:\n" : ", no output");
	if (k > 0 && (size_t)k < len)
		tail_lines(out, msg + k, len - (size_t)k);
	return FORKCMD_FAILED;
}

/* path made absolute, its symlinks kept: a manager passes the paths it
 * has, symlinked ancestors and all, and the command may run elsewhere. */
static int absolute(const char *path, char *out, size_t len)
{
	char cwd[PATH_MAX] = "";
	if (path[0] != '/' && !getcwd(cwd, sizeof cwd))
		return -errno;
	int k = snprintf(out, len, "%s%s%s", cwd, cwd[0] ? "/" : "", path);
	return k < 0 || (size_t)k >= len ? -ENAMETOOLONG : 0;
}

static char *command_for(const struct forkcmd *ctx, const char *src, const char *dst, char *msg,
			 size_t len)
{
	char asrc[2 * PATH_MAX], adst[2 * PATH_MAX];
	int r = absolute(src, asrc, sizeof asrc);
	if (r == 0)
		r = absolute(dst, adst, sizeof adst);
	if (r < 0) {
		snprintf(msg, len, "cannot make %s or %s absolute: %s", src, dst, strerror(-r));
		return NULL;
	}
	char *cmd = forkcmd_expand(ctx->tmpl, asrc, adst);
	if (!cmd)
		snprintf(msg, len, "cannot run the fork command: %s", strerror(ENOMEM));
	return cmd;
}

/* Why a run that did not end by itself ended: r is -ETIMEDOUT or -EINTR. */
static int stopped(int r, unsigned limit, const char *out, size_t have, char *msg, size_t len)
{
	if (r == -EINTR) {
		snprintf(msg, len, "stopped by signal %d (%s)", child_interrupted(),
			 strsignal(child_interrupted()));
		return FORKCMD_INTERRUPTED;
	}
	int k = snprintf(msg, len,
			 "did not finish within %u s (--fork-timeout): its process group was "
			 "killed; %s",
			 limit, have == 0 ? "it wrote nothing" : "its output ended:\n");
	if (have > 0 && k > 0 && (size_t)k < len)
		tail_lines(out, msg + k, len - (size_t)k);
	return FORKCMD_TIMEOUT;
}

/* The verdict on a command that exited by itself. */
static int ended(struct forkcmd *ctx, struct child *c, const char *out, size_t have, char *msg,
		 size_t len)
{
	int code = child_exit_code(c);
	if (ctx->calls++ == 0 && (code == 126 || code == 127)) {
		int k = snprintf(msg, len,
				 "the fork command cannot be run (exit %d: not found or not "
				 "executable?)%s",
				 code, have ? "; its output ended:\n" : "");
		if (have > 0 && k > 0 && (size_t)k < len)
			tail_lines(out, msg + k, len - (size_t)k);
		return FORKCMD_NOT_RUN;
	}
	if (c->stragglers) /* the rows judge it (F14) */
		snprintf(ctx->left, sizeof ctx->left, "%s", c->left);
	return verdict(code, out, msg, len);
}

const char *forkcmd_left(void *arg)
{
	struct forkcmd *ctx = arg;
	return ctx->left[0] ? ctx->left : NULL;
}

/* With as_user set, the command runs as that user (the matrix's
 * protected_hardlinks leg). */
int forkcmd_run(void *arg, const char *src, const char *dst, char *msg, size_t len)
{
	struct forkcmd *ctx = arg;
	ctx->left[0] = '\0';
	char *cmd = command_for(ctx, src, dst, msg, len);
	if (!cmd)
		return FORKCMD_FAILED;
	unsigned limit = ctx->timeout_s ? ctx->timeout_s : FORKCMD_TIMEOUT_S;
	char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	struct child_spec s = { .argv = argv,
				.out = CHILD_OUT_PIPE,
				.as_user = ctx->as_user,
				.keep_search = ctx->keep_search,
				.uid = ctx->uid,
				.gid = ctx->gid,
				.settle_ms = FORKCMD_SETTLE_MS };
	struct child c;
	ctx->left[0] = '\0';
	child_subreaper(); /* without it a setsid'd job goes to init, unseen */
	int r = child_start(&c, &s);
	free(cmd);
	if (r < 0) {
		snprintf(msg, len, "cannot run the fork command: %s", strerror(-r));
		return FORKCMD_FAILED;
	}
	char *out = malloc(OUT_TAIL);
	if (!out) {
		child_stop(&c);
		snprintf(msg, len, "cannot run the fork command: %s", strerror(ENOMEM));
		return FORKCMD_FAILED;
	}
	size_t have = 0;
	r = child_collect(&c, child_deadline_ms((int64_t)limit * 1000), out, OUT_TAIL, &have);
	while (have > 0 && out[have - 1] == '\n')
		out[--have] = '\0';
	r = r < 0 ? (child_stop(&c), stopped(r, limit, out, have, msg, len))
		  : ended(ctx, &c, out, have, msg, len);
	free(out);
	return r;
}
