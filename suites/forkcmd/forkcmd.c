/* forkcmd.c - the process runner for --fork-cmd: expand the template,
 * run it with /bin/sh -c (as another user when asked), keep the tail of
 * its output for the report. */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "forkcmd.h"

int forkcmd_template_ok(const char *tmpl)
{
	return tmpl && strstr(tmpl, "{src}") && strstr(tmpl, "{dst}");
}

/* 'it'\''s' - safe inside /bin/sh -c whatever the path holds. */
static int shell_quote(char **out, size_t *n, size_t *cap, const char *s)
{
	size_t need = *n + 4 * strlen(s) + 3;
	if (need > *cap) {
		char *t = realloc(*out, need * 2);
		if (!t)
			return -1;
		*out = t;
		*cap = need * 2;
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
	return 0;
}

char *forkcmd_expand(const char *tmpl, const char *src, const char *dst)
{
	size_t n = 0, cap = strlen(tmpl) + 1;
	char *out = malloc(cap);
	for (const char *p = tmpl; out && *p;) {
		if (strncmp(p, "{src}", 5) == 0 || strncmp(p, "{dst}", 5) == 0) {
			if (shell_quote(&out, &n, &cap, p[1] == 's' ? src : dst) < 0)
				goto oom;
			p += 5;
			continue;
		}
		if (n + 2 > cap) {
			char *t = realloc(out, cap * 2);
			if (!t)
				goto oom;
			out = t;
			cap *= 2;
		}
		out[n++] = *p++;
	}
	if (out)
		out[n] = '\0';
	return out;
oom:
	free(out);
	return NULL;
}

/* The child: output into the pipe, privileges dropped when asked. */
_Noreturn static void exec_child(const struct forkcmd *ctx, const char *cmd, const int pipefd[2])
{
	dup2(pipefd[1], 1);
	dup2(pipefd[1], 2);
	close(pipefd[0]);
	if (ctx->as_user && (setgroups(0, NULL) < 0 || setresgid(ctx->gid, ctx->gid, ctx->gid) < 0 ||
			     setresuid(ctx->uid, ctx->uid, ctx->uid) < 0)) {
		perror("dropping privileges");
		_exit(126);
	}
	cli_coverage_flush(); /* exec drops the counts otherwise */
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

/* Read fd to its end, keeping the last len - 1 bytes (that is where
 * errors are), without trailing newlines; returns their length. */
static size_t read_tail(int fd, char *out, size_t len)
{
	size_t have = 0;
	ssize_t k;
	char buf[1024];
	while ((k = read(fd, buf, sizeof buf)) > 0) {
		if (have + (size_t)k > len - 1) {
			size_t drop = have + (size_t)k - (len - 1);
			drop = drop > have ? have : drop;
			memmove(out, out + drop, have - drop);
			have -= drop;
		}
		size_t take = (size_t)k < len - 1 - have ? (size_t)k : len - 1 - have;
		memcpy(out + have, buf, take);
		have += take;
	}
	while (have > 0 && out[have - 1] == '\n')
		have--;
	out[have] = '\0';
	return have;
}

/* The command's verdict in msg: on success what it said last (e.g. the
 * fallback it took), else its exit status and the tail of its output. */
static int verdict(int st, char *out, size_t have, char *msg, size_t len)
{
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
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

/* The paths made absolute: the command may run elsewhere, or as another
 * user.  DST does not exist yet, so its parent is resolved. */
static char *command_for(const struct forkcmd *ctx, const char *src, const char *dst, char *msg,
			 size_t len)
{
	char asrc[PATH_MAX], adst_dir[PATH_MAX], adst[PATH_MAX + NAME_MAX + 2];
	const char *slash = strrchr(dst, '/');
	char *parent = strndup(dst, slash ? (size_t)(slash - dst) : 0);
	if (!realpath(src, asrc) || !realpath(parent && *parent ? parent : ".", adst_dir)) {
		free(parent);
		snprintf(msg, len, "cannot resolve %s or %s: %s", src, dst, strerror(errno));
		return NULL;
	}
	free(parent);
	snprintf(adst, sizeof adst, "%s/%s", adst_dir, slash ? slash + 1 : dst);
	char *cmd = forkcmd_expand(ctx->tmpl, asrc, adst);
	if (!cmd)
		snprintf(msg, len, "cannot run the fork command: %s", strerror(ENOMEM));
	return cmd;
}

/* With as_user set, the command runs as that user (the matrix's
 * protected_hardlinks leg). */
int forkcmd_run(void *arg, const char *src, const char *dst, char *msg, size_t len)
{
	const struct forkcmd *ctx = arg;
	char *cmd = command_for(ctx, src, dst, msg, len);
	if (!cmd)
		return -1;
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
	if (pid == 0)
		exec_child(ctx, cmd, pipefd);
	close(pipefd[1]);
	char out[4096];
	size_t have = read_tail(pipefd[0], out, sizeof out);
	close(pipefd[0]);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	free(cmd);
	return verdict(st, out, have, msg, len);
}
