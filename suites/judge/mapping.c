/* mapping.c - the rules seen through mmap: F7, F8 (F12 in pagecache.c).
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

#include "pages.h"

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

/* A writable private mapping as a VMM makes one of guest memory: without
 * MAP_NORESERVE, Linux's overcommit heuristic refuses one larger than RAM
 * plus swap (mm/util.c, __vm_enough_memory), and mem-files of 1 TiB are
 * real.  Copy-on-write semantics are the same. */
#define PRIVATE_FLAGS (MAP_PRIVATE | MAP_NORESERVE)

struct f7_args {
	const char *fork_mem, *snap_mem, *other_mem;
};

static int child_f7(void *arg)
{
	const struct f7_args *a = arg;
	int fd = open(a->fork_mem, O_RDONLY);
	struct stat st, snap;
	if (fd < 0 || fstat(fd, &st) < 0)
		return say(7, "%s: cannot open: %s", a->fork_mem, strerror(errno)), 0;
	/* An empty mem-file maps no page: nothing can be written through it.
	 * It holds only where the snapshot's is empty too (a compressed
	 * snapshot's raw file must not be empty: F9). */
	if (st.st_size == 0)
		return a->snap_mem && stat(a->snap_mem, &snap) == 0 && snap.st_size == 0
			       ? 0
			       : (say(7, "%s: empty", a->fork_mem), 0);
	struct pages p;
	judge_pick_pages(fd, st.st_size, &p, 1);
	size_t size = (size_t)st.st_size;
	char *orig = malloc(p.n * (size_t)p.ps);
	for (size_t i = 0; i < p.n; i++)
		if (pread(fd, orig + i * (size_t)p.ps, (size_t)p.ps, p.off[i]) != p.ps)
			return say(7, "cannot read the fork's mem-file"), 0;
	/* The guest's writes: a private, writable mapping of a read-only fd. */
	char *priv = mmap(NULL, size, PROT_READ | PROT_WRITE, PRIVATE_FLAGS, fd, 0);
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
	priv = mmap(NULL, size, PROT_READ | PROT_WRITE, PRIVATE_FLAGS, fd, 0);
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
	judge_pick_pages(fd, st.st_size, &p, 1);
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
	nlink_t names; /* the snapshot's names for the fork's mem-file inode */
	int empty_ok;  /* the snapshot's raw mem-file is empty: so may the fork's be */
};

/* Tell the parent the fork's mem-file is held, and wait while it deletes
 * the snapshot; 0, or -1 when the parent is gone. */
static int wait_for_deletion(void)
{
	char c = 'r';
	return write(child_ready_fd, &c, 1) == 1 && read(child_go_fd, &c, 1) == 1 ? 0 : -1;
}

/* A shared inode loses exactly the snapshot's names for it. */
static void links_went(const struct f8_args *a, const struct stat *before, const struct stat *after)
{
	if (a->shared && after->st_nlink != before->st_nlink - a->names)
		say(8, "st_nlink: expected %llu once the snapshot's links went, found %llu",
		    (unsigned long long)(before->st_nlink - a->names),
		    (unsigned long long)after->st_nlink);
}

static int empty_f8(const struct f8_args *a, int fd, const struct stat *before)
{
	struct stat after;
	if (wait_for_deletion() < 0)
		return say(8, "lost the parent"), 0;
	if (!a->empty_ok)
		say(8, "the fork's mem-file is empty: no memory to restore");
	else if (fstat(fd, &after) < 0 || after.st_size != 0)
		say(8, "the fork's empty mem-file changed when the snapshot was deleted");
	else
		links_went(a, before, &after);
	return 0;
}

static int child_f8(void *arg)
{
	const struct f8_args *a = arg;
	int fd = open(a->fork_mem, O_RDONLY);
	struct stat before, after;
	if (fd < 0 || fstat(fd, &before) < 0)
		return say(8, "cannot open the fork's mem-file: %s", strerror(errno)), 0;
	if (before.st_size == 0) /* nothing to map: the name and its links only */
		return empty_f8(a, fd, &before);
	size_t size = (size_t)before.st_size;
	struct pages p;
	judge_pick_pages(fd, before.st_size, &p, 0);
	char *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return say(8, "cannot map the fork's mem-file: %s", strerror(errno)), 0;
	char *orig = malloc(p.n * (size_t)p.ps);
	for (size_t i = 0; i < p.n; i++)
		memcpy(orig + i * (size_t)p.ps, map + p.off[i], (size_t)p.ps);
	/* Mapped and read: now the parent deletes the snapshot. */
	if (wait_for_deletion() < 0)
		return say(8, "lost the parent"), 0;
	same_pages(&p, orig, map, -1, 8, "the fork's mapping after the snapshot was deleted");
	same_pages(&p, orig, NULL, fd, 8, "the fork's mem-file after the snapshot was deleted");
	if (fstat(fd, &after) == 0)
		links_went(a, &before, &after);
	return 0;
}

static int parent_f8(void *arg)
{
	const struct f8_args *a = arg;
	return judge_remove_tree(a->snap_dir);
}

int judge_delete_snapshot(const char *snap_dir, const char *fork_mem, struct judge_result *res)
{
	struct f8_args a = { snap_dir, fork_mem, 0, 0, 0 };
	struct stat f;
	/* Shared means one inode: its link count must fall by the snapshot's
	 * names for it (the mem-file, and any other name it has there). */
	struct judge_tree t;
	char err[256];
	if (stat(fork_mem, &f) == 0 && judge_tree_load(snap_dir, &t, err, sizeof err) == 0) {
		for (size_t i = 0; i < t.n; i++)
			a.names += S_ISREG(t.e[i].mode) && t.e[i].dev == f.st_dev &&
				   t.e[i].ino == f.st_ino;
		a.shared = a.names > 0;
		struct judge_expect x;
		if (judge_expect(&t, NULL, &x) == 0) {
			a.empty_ok = x.kind == JUDGE_RAW && x.mem->size == 0;
			judge_expect_free(&x);
		}
		judge_tree_free(&t);
	}
	res->checked |= 1u << 8;
	int r = in_child(child_f8, &a, fork_mem, 8, res, parent_f8, &a);
	if (r < 0)
		judge_fail(res, 8, snap_dir, "could not delete the snapshot: %s", strerror(-r));
	return 0;
}
