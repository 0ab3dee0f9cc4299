/* template.c - the snapshot the rounds fork: a guest booted with its RAM
 * in a shared mem-file (memory-backend-file share=on: the page cache of
 * that file is the guest's RAM), stopped and saved with x-ignore-shared,
 * laid out as a VM manager's instance directory (domain.md):
 *   metadata.json  logs/vmm.log  snapshots/snapshot-latest/{memory,state,qemu-config.json}
 * logs/ is what the contract skips; the mem-file is one of its
 * candidate paths, the state beside it. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "vmcheck.h"

#define LATEST VM_LATEST

static int booted(const struct vm *v, const void *arg)
{
	(void)arg;
	return vm_counts(v, 0, NULL, 0, NULL) >= 2;
}

static int never(const struct vm *v, const void *arg)
{
	(void)v;
	(void)arg;
	return 0;
}

static int write_text(const char *path, const char *text, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	int r = write(fd, text, n) == (ssize_t)n ? 0 : -EIO;
	close(fd);
	return r;
}

static int mkdirs(const char *dir, char *err, size_t len)
{
	char p[4200];
	const char *sub[] = { "", "/logs", "/snapshots", "/" LATEST };
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof p, "%s%s", dir, sub[i]);
		if (mkdir(p, 0755) < 0 && !(i > 0 && errno == EEXIST)) {
			snprintf(err, len, "%s: %s", p, strerror(errno));
			return -errno;
		}
	}
	return 0;
}

/* metadata.json, the config a manager would restore from, the log. */
static int describe(const struct vm_cfg *c, const char *snap, const struct vm *v)
{
	char p[4200];
	json_t *cfg = json_pack("{s:s,s:s,s:i,s:s,s:s,s:s,s:s,s:b}", "machine", "pc", "accel",
				c->guest.accel ? c->guest.accel : "tcg",
				"mem_mib", (int)c->guest.mem_mib, "kernel", c->guest.kernel, "initrd",
				c->guest.initrd, "mem", "memory", "state", "state", "x-ignore-shared", 1);
	snprintf(p, sizeof p, "%s/" LATEST "/qemu-config.json", snap);
	int r = json_dump_file(cfg, p, JSON_INDENT(2)) == 0 ? 0 : -EIO;
	json_decref(cfg);
	json_t *meta = json_pack("{s:s,s:s}", "name", "snapfork-vmcheck", "hypervisor", "qemu");
	snprintf(p, sizeof p, "%s/metadata.json", snap);
	if (r == 0 && json_dump_file(meta, p, JSON_INDENT(2)) != 0)
		r = -EIO;
	json_decref(meta);
	snprintf(p, sizeof p, "%s/logs/vmm.log", snap);
	if (r == 0)
		r = write_text(p, v->out ? v->out : "", v->len);
	return r;
}

static int boot(const struct vm_cfg *c, struct vm *v, const char *name, const char *mem,
		char *err, size_t len)
{
	char run[4200];
	snprintf(run, sizeof run, "%s/run-%s", c->work, name);
	struct vm_start s = { mem, 1, 0, NULL };
	int r = vm_start(v, name, run, &c->guest, &s, err, len);
	if (r == 0)
		r = vm_cont(v, err, len);
	return r;
}

static int wait_booted(const struct vm_cfg *c, struct vm *v, char *err, size_t len)
{
	int r = vm_wait(v, booted, NULL, c->boot_timeout_ms);
	if (r < 0) {
		char tail[600];
		vm_console_tail(v, tail, sizeof tail);
		snprintf(err, len, "the %s guest did not boot to its second counter (%s); console: %s",
			 v->name, r == -ETIMEDOUT ? "time limit" : strerror(-r), tail);
	}
	return r;
}

/* Stop, save, let the console drain (what the guest printed before the
 * stop), quit. */
static int save(struct vm *v, const char *state, double *ms, char *err, size_t len)
{
	int64_t t0 = child_now_ms();
	int r = vm_save(v, state, err, len);
	*ms = (double)(child_now_ms() - t0);
	if (r == 0)
		vm_wait(v, never, NULL, 300);
	vm_stop(v);
	return r;
}

static void remember(const struct vm *v, struct vm_template *t)
{
	struct vm_count c[1024];
	size_t n = vm_counts(v, 0, c, 1024, NULL);
	t->last = n ? c[(n > 1024 ? 1024 : n) - 1].n : 0;
	size_t k;
	const char *p = vm_partial(v, &k);
	snprintf(t->partial, sizeof t->partial, "%.*s", (int)k, p);
}

/* Boot, save and describe: the second half of a template's making. */
static int finish(const struct vm_cfg *c, struct vm *v, const char *snap, struct vm_template *t,
		  char *err, size_t len)
{
	char state[4200];
	snprintf(state, sizeof state, "%s/" LATEST "/state", snap);
	int r = wait_booted(c, v, err, len);
	if (r == 0)
		r = save(v, state, &t->save_ms, err, len);
	if (r == 0)
		remember(v, t);
	if (r == 0 && (r = describe(c, snap, v)) < 0)
		snprintf(err, len, "%s: cannot write the snapshot's files: %s", snap, strerror(-r));
	return r;
}

int vm_templates_make(const struct vm_cfg *c, const char *const snap[2], struct vm_template t[2],
		      char *err, size_t len)
{
	struct vm v[2];
	static const char *const names[2] = { "template", "control-template" };
	/* Both, before either boots: when the first fails the second is
	 * stopped too, and must hold no descriptor 0 and no path "". */
	vm_init(&v[0]);
	vm_init(&v[1]);
	int r = 0;
	/* Both boot at once: TCG keeps one core busy per guest. */
	int64_t t0 = child_now_ms();
	for (int i = 0; i < 2 && r == 0; i++) {
		char mem[4200];
		snprintf(mem, sizeof mem, "%s/" LATEST "/memory", snap[i]);
		r = mkdirs(snap[i], err, len);
		if (r == 0)
			r = boot(c, &v[i], names[i], mem, err, len);
	}
	for (int i = 0; i < 2 && r == 0; i++) {
		r = finish(c, &v[i], snap[i], &t[i], err, len);
		t[i].boot_ms = (double)(child_now_ms() - t0);
		/* Each lends its state to the other's control: another boot. */
		snprintf(t[1 - i].foreign_state, sizeof t->foreign_state, "%.4000s/" LATEST "/state",
			 snap[i]);
	}
	for (int i = 0; i < 2; i++) {
		vm_stop(&v[i]);
		free(v[i].out);
	}
	return r;
}

int vm_copy_small(const char *from, const char *to)
{
	int in = open(from, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return -errno;
	struct stat st;
	char *buf = NULL;
	int r = fstat(in, &st) < 0 ? -errno : 0;
	if (r == 0 && !(buf = malloc((size_t)st.st_size + 1)))
		r = -ENOMEM;
	if (r == 0 && read(in, buf, (size_t)st.st_size) != st.st_size)
		r = -EIO;
	if (r == 0)
		r = write_text(to, buf, (size_t)st.st_size);
	free(buf);
	close(in);
	return r;
}

int vm_snap_derive(const struct vm_snap *from, const struct vm_snap *to, char *err, size_t len)
{
	int r = mkdirs(to->dir, err, len);
	static const char *const small[] = { "metadata.json", "logs/vmm.log",
					     LATEST "/qemu-config.json", LATEST "/state" };
	char a[4200], b[4200];
	for (size_t i = 0; r == 0 && i < 4; i++) {
		snprintf(a, sizeof a, "%s/%s", from->dir, small[i]);
		snprintf(b, sizeof b, "%s/%s", to->dir, small[i]);
		if ((r = vm_copy_small(a, b)) < 0)
			snprintf(err, len, "%s -> %s: %s", a, b, strerror(-r));
	}
	snprintf(a, sizeof a, "%s/%s", from->dir, from->mem_rel);
	if (r == 0 && to->zst_rel) {
		snprintf(b, sizeof b, "%s/%s", to->dir, to->zst_rel);
		r = fixture_compress(a, b, 1, err, len);
	} else if (r == 0) {
		snprintf(b, sizeof b, "%s/%s", to->dir, to->mem_rel);
		if (link(a, b) < 0) {
			r = -errno;
			snprintf(err, len, "link %s -> %s: %s", a, b, strerror(errno));
		}
	}
	return r;
}
