/* run.c - the common cases of child.h: a command run to its end with its
 * output in a log, a shell command, and quoting for the shell. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child.h"

int child_run(char *const *argv, const char *log, int64_t deadline)
{
	int fd = log ? open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : CHILD_OUT_NULL;
	if (log && fd < 0)
		return -errno;
	struct child c;
	struct child_spec s = { .argv = argv, .out = fd };
	int r = child_start(&c, &s);
	if (fd >= 0)
		close(fd);
	if (r == 0 && (r = child_wait(&c, deadline)) < 0)
		child_stop(&c);
	return r < 0 ? r : child_exit_code(&c);
}

int child_sh(const char *cmd, const char *log, int64_t deadline)
{
	char *argv[] = { "/bin/sh", "-c", (char *)cmd, NULL };
	return child_run(argv, log, deadline);
}

char *child_sh_quote(const char *s)
{
	char *out = malloc(4 * strlen(s) + 3), *o = out;
	if (!out)
		return NULL;
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
	return out;
}

char *child_sh_word(const char *s)
{
	static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "0123456789_./:=@%+,-";
	if (*s && strspn(s, plain) == strlen(s) && *s != '-')
		return strdup(s);
	return child_sh_quote(s);
}

void child_log_last_line(const char *log, char *out, size_t len)
{
	char buf[4096];
	size_t n = 0;
	FILE *f = fopen(log, "re");
	if (f && fseek(f, 0, SEEK_END) == 0) {
		long end = ftell(f);
		long from = end > (long)sizeof buf - 1 ? end - (long)sizeof buf + 1 : 0;
		if (end >= 0 && fseek(f, from, SEEK_SET) == 0)
			n = fread(buf, 1, sizeof buf - 1, f);
	}
	if (f)
		fclose(f);
	buf[n] = '\0';
	while (n > 0 && strchr("\n\r\t ", buf[n - 1]))
		buf[--n] = '\0';
	char *line = strrchr(buf, '\n');
	snprintf(out, len, "%s", line ? line + 1 : buf);
}
