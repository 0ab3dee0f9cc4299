/* testtree.c - see testtree.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "judge.h"
#include "testtree.h"

#define DIE(...)                                                                                   \
	do {                                                                                       \
		char m_[1024];                                                                     \
		snprintf(m_, sizeof m_, __VA_ARGS__);                                              \
		fail_msg("%s", m_);                                                                \
	} while (0)

const char *tt_p(const char *dir, const char *rel)
{
	static char bufs[8][8192];
	static unsigned next;
	char *b = bufs[next++ % 8];
	snprintf(b, sizeof bufs[0], "%s/%s", dir, rel);
	return b;
}

char *tt_scratch(const char *tag)
{
	const char *base = getenv("SNAPFORK_TEST_DIR");
	char *p;
	if (!base || !*base)
		base = "/var/tmp";
	if (asprintf(&p, "%s/snapfork-%s.XXXXXX", base, tag) < 0)
		DIE("out of memory");
	if (!mkdtemp(p))
		DIE("%s: mkdtemp: %s", p, strerror(errno));
	return p;
}

int tt_scratch_setup(void **state)
{
	*state = tt_scratch(program_invocation_short_name);
	return 0;
}

int tt_scratch_teardown(void **state)
{
	tt_rm_rf(*state);
	free(*state);
	return 0;
}

void tt_rm_rf(const char *path)
{
	judge_remove_tree(path);
}

void tt_mkdir(const char *root, const char *rel, mode_t mode)
{
	const char *p = tt_p(root, rel);
	if (mkdir(p, 0700) < 0 && errno != EEXIST)
		DIE("%s: mkdir: %s", p, strerror(errno));
	if (chmod(p, mode) < 0)
		DIE("%s: chmod: %s", p, strerror(errno));
}

int tt_chain(const char *dir, int n)
{
	int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d < 0)
		DIE("%s: open: %s", dir, strerror(errno));
	/* Fd-relative, one level at a time: the chain may be deeper than
	 * PATH_MAX lets a path name. */
	for (int i = 0; i < n; i++) {
		int next = mkdirat(d, "d", 0755) < 0
				   ? -1
				   : openat(d, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (next < 0)
			DIE("%s: level %d of the chain: %s", dir, i + 1, strerror(errno));
		close(d);
		d = next;
	}
	return d;
}

static void pattern(char *buf, size_t len, unsigned seed, off_t off)
{
	uint32_t x = seed * 2654435761u + (uint32_t)(off >> 12) + 1;
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		buf[i] = (char)(x | 1); /* never zero: data stays data */
	}
}

void tt_file(const char *root, const char *rel, mode_t mode, off_t size,
	      const struct tt_extent *ext, size_t n)
{
	const char *p = tt_p(root, rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		DIE("%s: create: %s", p, strerror(errno));
	if (ftruncate(fd, size) < 0)
		DIE("%s: ftruncate: %s", p, strerror(errno));
	for (size_t i = 0; i < n; i++) {
		char *buf = malloc(ext[i].len);
		pattern(buf, ext[i].len, ext[i].seed, ext[i].off);
		if (pwrite(fd, buf, ext[i].len, ext[i].off) != (ssize_t)ext[i].len)
			DIE("%s: pwrite: %s", p, strerror(errno));
		free(buf);
	}
	if (fchmod(fd, mode) < 0 || close(fd) < 0)
		DIE("%s: %s", p, strerror(errno));
}

void tt_text(const char *root, const char *rel, mode_t mode, const char *text)
{
	const char *p = tt_p(root, rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    fchmod(fd, mode) < 0 || close(fd) < 0)
		DIE("%s: %s", p, strerror(errno));
}

void tt_symlink(const char *root, const char *rel, const char *target)
{
	const char *p = tt_p(root, rel);
	if (symlink(target, p) < 0)
		DIE("%s: symlink: %s", p, strerror(errno));
}

void tt_socket(const char *root, const char *rel)
{
	const char *p = tt_p(root, rel);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	/* Bind relative to the socket's directory: sun_path is 108 bytes. */
	char dir[8192];
	snprintf(dir, sizeof dir, "%s", p);
	char *slash = strrchr(dir, '/');
	*slash = '\0';
	int cwd = open(".", O_RDONLY | O_DIRECTORY);
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", slash + 1);
	if (fd < 0 || chdir(dir) < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		DIE("%s: bind: %s", p, strerror(errno));
	if (fchdir(cwd) < 0)
		DIE("fchdir: %s", strerror(errno));
	close(cwd);
	close(fd);
}

void tt_fifo(const char *root, const char *rel)
{
	const char *p = tt_p(root, rel);
	if (mkfifo(p, 0600) < 0)
		DIE("%s: mkfifo: %s", p, strerror(errno));
}

void tt_compress(const char *root, const char *raw_rel, const char *out_rel, int zstd)
{
	char in[4096], err[900];
	snprintf(in, sizeof in, "%s", tt_p(root, raw_rel));
	if (fixture_compress(in, tt_p(root, out_rel), zstd, err, sizeof err) < 0)
		DIE("%s", err);
}

void tt_snapshot(const char *root, const char *mem_rel, off_t mem_size)
{
	static const struct tt_extent mem[] = { { 0, 8192, 1 },
						 { 1 << 20, 4096, 2 },
						 { (off_t)37 << 20, 65536, 3 },
						 { (off_t)100 << 20, 4096, 4 } };
	static const struct tt_extent disk[] = { { 4096, 4096, 5 }, { (off_t)3 << 20, 12288, 6 } };
	tt_text(root, "config.json", 0640, "{\"cpus\": 2, \"memory\": \"1G\"}\n");
	tt_text(root, "state.json", 0600, "{\"state\": \"paused\"}\n");
	tt_file(root, "overlay.raw", 0644, (off_t)64 << 20, disk, 2);
	tt_mkdir(root, "logs", 0755);
	tt_text(root, "logs/vmm.log", 0644, "booted\n");
	tt_socket(root, "vsock.sock");
	tt_symlink(root, "current", "config.json");
	tt_mkdir(root, "snapshots", 0755);
	tt_mkdir(root, "snapshots/snapshot-latest", 0750);
	if (mem_rel) {
		size_t n = 0;
		while (n < 4 && mem[n].off + (off_t)mem[n].len <= mem_size)
			n++;
		tt_file(root, mem_rel, 0600, mem_size, mem, n);
	}
}

static int sh(const char *cmd)
{
	int r = system(cmd);
	return r == -1 ? -1 : WIFEXITED(r) ? WEXITSTATUS(r) : 128;
}

char *tt_loopfs(const char *fs, const char *mkfs_opts, unsigned size_mb, char *why, size_t len)
{
	if (!tt_is_root()) {
		snprintf(why, len, "%s: mounting a loop filesystem needs root", fs);
		return NULL;
	}
	char cmd[8192];
	snprintf(cmd, sizeof cmd, "command -v mkfs.%s >/dev/null", fs);
	if (sh(cmd) != 0) {
		snprintf(why, len, "%s: mkfs.%s is not installed", fs, fs);
		return NULL;
	}
	char *dir = tt_scratch(fs);
	snprintf(cmd, sizeof cmd,
		 "set -e; cd '%s'; truncate -s %uM image; mkfs.%s %s image >mkfs.log 2>&1; "
		 "mkdir mnt; mount -o loop image mnt 2>mount.log",
		 dir, size_mb, fs, mkfs_opts);
	if (sh(cmd) != 0) {
		snprintf(why, len, "%s: cannot make or mount the filesystem (mkfs.%s %s)", fs, fs,
			 mkfs_opts);
		tt_rm_rf(dir);
		free(dir);
		return NULL;
	}
	char *mnt;
	if (asprintf(&mnt, "%s/mnt", dir) < 0)
		DIE("out of memory");
	free(dir);
	return mnt;
}

void tt_loopfs_release(char *mnt)
{
	if (!mnt)
		return;
	char cmd[8192];
	/* mount -o loop sets autoclear, so unmounting detaches the device. */
	snprintf(cmd, sizeof cmd, "umount '%s' 2>/dev/null || umount -l '%s'", mnt, mnt);
	sh(cmd);
	char *slash = strrchr(mnt, '/');
	*slash = '\0';
	tt_rm_rf(mnt);
	free(mnt);
}

int tt_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

uint64_t tt_allocated(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		DIE("%s: %s", path, strerror(errno));
	return (uint64_t)st.st_blocks * 512;
}

int tt_count_named(const char *dir, const char *needle)
{
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (strstr(de->d_name, needle))
			n++;
	if (d)
		closedir(d);
	return n;
}

int tt_open_fds(void)
{
	return tt_count_named("/proc/self/fd", "") - 3; /* ".", "..", the DIR's own fd */
}

int tt_is_root(void)
{
	return geteuid() == 0;
}

/* _exit skips the atexit handler that writes gcov's counters: in a
 * coverage build (-DSNAPFORK_COVERAGE=ON, as ref/cli/cli.c) libgcov's
 * dump writes them first. */
#ifdef SNAPFORK_COVERAGE
void __gcov_dump(void);
#endif

void tt_child_exit(int code)
{
#ifdef SNAPFORK_COVERAGE
	__gcov_dump();
#endif
	_exit(code);
}

int tt_become_nobody(void)
{
	/* Groups first: once the uid is dropped, setgroups needs a
	 * capability the process no longer has. */
	if (setgroups(0, NULL) < 0 || setresgid(TT_NOBODY, TT_NOBODY, TT_NOBODY) < 0 ||
	    setresuid(TT_NOBODY, TT_NOBODY, TT_NOBODY) < 0)
		return -1;
	return 0;
}

int tt_gone(pid_t pid)
{
	char p[64], st[512];
	snprintf(p, sizeof p, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(p, "r");
	if (!f)
		return 1;
	size_t n = fread(st, 1, sizeof st - 1, f);
	fclose(f);
	st[n] = '\0';
	const char *paren = strrchr(st, ')'); /* comm may hold ')' */
	return paren && paren[1] == ' ' && paren[2] == 'Z';
}
