/* mapping.c - the rules seen through mmap: F7, F8, F12.
 *
 * F7 and F8 run in a child process, as a restored VM would: the child
 * reports violations to the parent through a pipe, one per line, so a
 * SIGBUS in the child (a truncated shared file) is a reported failure,
 * not a crashed harness.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "judge.h"

#define MAX_PAGES 32

struct pages {
	off_t off[2 * MAX_PAGES];
	size_t n;
	long ps;
};

/* Up to MAX_PAGES pages at the start of data extents, and as many inside
 * holes: a private write must stay private over both. */
static void pick_pages(int fd, off_t size, struct pages *p, int holes_too)
{
	p->ps = sysconf(_SC_PAGESIZE);
	p->n = 0;
	size_t data = 0, hole = 0;
	for (off_t off = 0; off < size && (data < MAX_PAGES || hole < MAX_PAGES);) {
		off_t d = lseek(fd, off, SEEK_DATA);
		if (d < 0 || d >= size)
			d = size;
		d -= d % p->ps;
		if (holes_too && d - off >= p->ps && hole < MAX_PAGES) {
			p->off[p->n++] = off + (d - off) / 2 / p->ps * p->ps;
			hole++;
		}
		if (d >= size)
			break;
		if (data < MAX_PAGES) {
			p->off[p->n++] = d;
			data++;
		}
		off_t h = lseek(fd, d, SEEK_HOLE);
		off = h > d ? h + (p->ps - h % p->ps) % p->ps : d + p->ps;
	}
}

/* Child side: one line per finding, "F<rule>\t<what>\n". */
static int report_fd = -1;

__attribute__((format(printf, 2, 3))) static void say(int rule, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = snprintf(line, sizeof line, "F%d\t", rule);
	n += vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof line - 1)
		n = (int)sizeof line - 2;
	line[n++] = '\n';
	if (write(report_fd, line, (size_t)n) < 0)
		_exit(3);
}

/* Compare each picked page of view (a mapping) or fd (pread) with orig. */
static int same_pages(const struct pages *p, const char *orig, const char *view, int fd, int rule,
		      const char *where)
{
	char *buf = malloc((size_t)p->ps);
	int bad = 0;
	for (size_t i = 0; i < p->n && !bad; i++) {
		const char *got = view ? view + p->off[i] : buf;
		if (!view && pread(fd, buf, (size_t)p->ps, p->off[i]) != p->ps)
			memset(buf, 0xff, (size_t)p->ps);
		if (memcmp(got, orig + i * (size_t)p->ps, (size_t)p->ps) != 0) {
			say(rule, "%s: page at offset %lld changed", where, (long long)p->off[i]);
			bad = 1;
		}
	}
	free(buf);
	return !bad;
}

static void scribble(char *map, const struct pages *p)
{
	for (size_t i = 0; i < p->n; i++)
		memset(map + p->off[i], (int)(0xa5 ^ i), (size_t)p->ps);
}

struct f7_args {
	const char *fork_mem, *snap_mem, *other_mem;
};

static int child_f7(void *arg)
{
	const struct f7_args *a = arg;
	int fd = open(a->fork_mem, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size == 0)
		return say(7, "%s: cannot open or empty", a->fork_mem), 0;
	struct pages p;
	pick_pages(fd, st.st_size, &p, 1);
	size_t size = (size_t)st.st_size;
	char *orig = malloc(p.n * (size_t)p.ps);
	for (size_t i = 0; i < p.n; i++)
		if (pread(fd, orig + i * (size_t)p.ps, (size_t)p.ps, p.off[i]) != p.ps)
			return say(7, "cannot read the fork's mem-file"), 0;
	/* The guest's writes: a private, writable mapping of a read-only fd. */
	char *priv = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (priv == MAP_FAILED)
		return say(7, "mmap(MAP_PRIVATE): %s", strerror(errno)), 0;
	scribble(priv, &p);
	char *shared = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	same_pages(&p, orig, NULL, fd, 7, "the fork's mem-file read with pread");
	if (shared != MAP_FAILED)
		same_pages(&p, orig, shared, -1, 7, "the fork's mem-file through MAP_SHARED");
	if (a->snap_mem) {
		int s = open(a->snap_mem, O_RDONLY);
		same_pages(&p, orig, NULL, s, 7, "the snapshot's mem-file");
		close(s);
	}
	if (a->other_mem) {
		int o = open(a->other_mem, O_RDONLY);
		char *other = o >= 0 ? mmap(NULL, size, PROT_READ, MAP_PRIVATE, o, 0) : MAP_FAILED;
		if (other == MAP_FAILED)
			say(7, "another fork's mem-file: cannot map it");
		else
			same_pages(&p, orig, other, -1, 7, "another fork's MAP_PRIVATE mapping");
		close(o);
	}
	munmap(priv, size);
	same_pages(&p, orig, NULL, fd, 7, "the fork's mem-file after munmap");
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	same_pages(&p, orig, NULL, fd, 7, "the fork's mem-file after POSIX_FADV_DONTNEED");
	/* Dropping private pages brings back the file's. */
	priv = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (priv != MAP_FAILED) {
		scribble(priv, &p);
		madvise(priv, size, MADV_DONTNEED);
		same_pages(&p, orig, priv, -1, 7, "a private mapping after MADV_DONTNEED");
	}
	return 0;
}

/* The child's ends of the handshake pipes (valid in the child only). */
static int child_ready_fd = -1, child_go_fd = -1;

/* Run fn in a child; each line it reports becomes a violation of res.
 * With parent set, the parent waits for the child's "ready" byte, runs
 * parent(), then sends "go": the child acts in between, e.g. maps. */
static int in_child(int (*fn)(void *), void *arg, const char *path, int rule,
		    struct judge_result *res, int (*parent)(void *), void *parg)
{
	int rep[2], ready[2], go[2];
	if (pipe2(rep, O_CLOEXEC) < 0 || pipe2(ready, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		close(rep[0]);
		close(ready[0]);
		close(go[1]);
		report_fd = rep[1];
		child_ready_fd = ready[1];
		child_go_fd = go[0];
		fn(arg);
		_exit(0);
	}
	close(rep[1]);
	close(ready[1]);
	close(go[0]);
	int r = 0;
	char c;
	if (parent && read(ready[0], &c, 1) == 1) {
		r = parent(parg);
		c = 'g';
		if (write(go[1], &c, 1) != 1 && r == 0)
			r = -errno;
	}
	close(ready[0]);
	close(go[1]);
	FILE *f = fdopen(rep[0], "r");
	char line[600];
	while (f && fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		char *tab = strchr(line, '\t');
		if (tab)
			judge_fail(res, atoi(line + 1), path, "%s", tab + 1);
	}
	if (f)
		fclose(f);
	else
		close(rep[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFSIGNALED(st))
		judge_fail(res, rule, path, "the mapping process died of %s",
			 strsignal(WTERMSIG(st)));
	return r;
}

int judge_map_private(const char *fork_mem, const char *snap_mem, const char *other_mem,
			  struct judge_result *res)
{
	struct f7_args a = { fork_mem, snap_mem, other_mem };
	res->checked |= 1u << 7;
	return in_child(child_f7, &a, fork_mem, 7, res, NULL, NULL);
}

int judge_map_writes_reach_file(const char *file, int map_flag)
{
	int fd = open(file, O_RDWR);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size == 0) {
		if (fd >= 0)
			close(fd);
		return -EINVAL;
	}
	struct pages p;
	pick_pages(fd, st.st_size, &p, 1);
	char *m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, map_flag, fd, 0);
	if (m == MAP_FAILED) {
		close(fd);
		return -errno;
	}
	scribble(m, &p);
	char *buf = malloc((size_t)p.ps);
	int reached = 0;
	for (size_t i = 0; i < p.n; i++) {
		char want[64];
		memset(want, (int)(0xa5 ^ i), sizeof want);
		if (pread(fd, buf, (size_t)p.ps, p.off[i]) == p.ps &&
		    memcmp(buf, want, sizeof want) == 0)
			reached = 1;
	}
	free(buf);
	munmap(m, (size_t)st.st_size);
	close(fd);
	return reached;
}

struct f8_args {
	const char *snap_dir, *fork_mem;
	int shared;
};

static int child_f8(void *arg)
{
	const struct f8_args *a = arg;
	int fd = open(a->fork_mem, O_RDONLY);
	struct stat before, after;
	if (fd < 0 || fstat(fd, &before) < 0 || before.st_size == 0)
		return say(8, "cannot open the fork's mem-file, or it is empty"), 0;
	size_t size = (size_t)before.st_size;
	struct pages p;
	pick_pages(fd, before.st_size, &p, 0);
	char *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return say(8, "cannot map the fork's mem-file: %s", strerror(errno)), 0;
	char *orig = malloc(p.n * (size_t)p.ps);
	for (size_t i = 0; i < p.n; i++)
		memcpy(orig + i * (size_t)p.ps, map + p.off[i], (size_t)p.ps);
	/* Mapped and read: now the parent deletes the snapshot. */
	char c = 'r';
	if (write(child_ready_fd, &c, 1) != 1 || read(child_go_fd, &c, 1) != 1)
		return say(8, "lost the parent"), 0;
	same_pages(&p, orig, map, -1, 8, "the fork's mapping after the snapshot was deleted");
	same_pages(&p, orig, NULL, fd, 8, "the fork's mem-file after the snapshot was deleted");
	if (fstat(fd, &after) == 0 && a->shared && after.st_nlink != before.st_nlink - 1)
		say(8, "st_nlink: expected %llu once the snapshot's link went, found %llu",
		    (unsigned long long)before.st_nlink - 1, (unsigned long long)after.st_nlink);
	return 0;
}

static int parent_f8(void *arg)
{
	const struct f8_args *a = arg;
	return judge_remove_tree(a->snap_dir);
}

int judge_delete_snapshot(const char *snap_dir, const char *fork_mem, struct judge_result *res)
{
	struct f8_args a = { snap_dir, fork_mem, 0 };
	struct stat f;
	/* Shared means one inode: its link count must fall with the deletion. */
	if (stat(fork_mem, &f) == 0)
		a.shared = f.st_nlink > 1;
	res->checked |= 1u << 8;
	int r = in_child(child_f8, &a, fork_mem, 8, res, parent_f8, &a);
	if (r < 0)
		judge_fail(res, 8, snap_dir, "could not delete the snapshot: %s", strerror(-r));
	return 0;
}

int judge_page_cache(const char *fork_mem, const char *other_mem, struct judge_result *res)
{
	res->checked |= 1u << 12;
	int a = open(fork_mem, O_RDONLY), b = open(other_mem, O_RDONLY);
	struct stat st;
	int r = 0;
	if (a < 0 || b < 0 || fstat(b, &st) < 0 || st.st_size == 0) {
		judge_skip(res, 12, "cannot open both forks' mem-files");
		goto out;
	}
	struct pages p;
	pick_pages(a, st.st_size, &p, 0);
	unsigned char *vec = calloc((size_t)(st.st_size / p.ps + 1), 1);
	char *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, b, 0);
	if (!vec || map == MAP_FAILED || p.n == 0) {
		judge_skip(res, 12, "no data pages to observe");
		free(vec);
		goto out;
	}
	/* Clean pages first: POSIX_FADV_DONTNEED drops only clean ones. */
	fsync(a);
	fsync(b);
	posix_fadvise(a, 0, 0, POSIX_FADV_DONTNEED);
	posix_fadvise(b, 0, 0, POSIX_FADV_DONTNEED);
	size_t before = 0, after = 0;
	mincore(map, (size_t)st.st_size, vec);
	for (size_t i = 0; i < p.n; i++)
		before += vec[p.off[i] / p.ps] & 1;
	if (before == p.n) {
		judge_skip(res, 12,
			 "pages stay resident after POSIX_FADV_DONTNEED (on tmpfs the page "
			 "cache is the storage): sharing cannot be observed");
	} else {
		char *buf = malloc((size_t)p.ps);
		for (size_t i = 0; i < p.n; i++)
			if (pread(a, buf, (size_t)p.ps, p.off[i]) < 0)
				r = -errno;
		free(buf);
		mincore(map, (size_t)st.st_size, vec);
		for (size_t i = 0; i < p.n; i++)
			after += vec[p.off[i] / p.ps] & 1;
		if (after < p.n)
			judge_fail(res, 12, fork_mem,
				 "%zu of %zu pages read through this fork were not in the other "
				 "fork's page cache: separate inodes (a copy or a reflink)",
				 p.n - after, p.n);
	}
	munmap(map, (size_t)st.st_size);
	free(vec);
out:
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
	return r;
}
