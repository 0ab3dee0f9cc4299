/* check.h - inside `snapfork check`: its options, and its generative mode
 * (generate.c: layouts drawn from a seed, judged as fixture rows are;
 * shrink.c: a failing layout reduced to a small fixture that fails the
 * same rule). */
#ifndef SNAPFORK_CHECK_H
#define SNAPFORK_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "conform.h"
#include "layout.h"

struct check_opts {
	const char *tmpl, *scratch, *fork_dir, *junit, *json;
	const char **fixtures;
	size_t nfix;
	const char **excludes; /* --exclude NAME: bundled fixtures left out */
	size_t nexcl;
	int keep;
	unsigned generate; /* --generate N: N layouts instead of the fixtures */
	uint64_t seed;     /* --seed S, or drawn */
	int seed_given;
	int no_shrink;
	int fail_fast; /* --fail-fast: stop at the first failing layout */
	int dimensions; /* --dimensions: print the layout space and exit */
	unsigned fork_timeout; /* --fork-timeout S; 0: the default */
	unsigned concurrency;  /* --concurrency K; 0: CONFORM_K */
	int devices; /* device nodes can be made here (probed: layout_can_mknod) */
};

/* scratch.c: the scratch given, or a new one in $TMPDIR (default
 * /var/tmp); 0, or -1 with the error printed. */
int check_scratch_make(const struct check_opts *o, char *scratch, size_t len);
/* What the run kept there (failing rows' trees), its apparent and
 * allocated size, and the command that removes it; nothing when nothing
 * was kept. */
void check_scratch_report(const struct check_opts *o, const struct conform_run *run,
			  const char *scratch);
/* Remove what nothing keeps (everything after a signal, unless --keep). */
void check_scratch_drop(const struct check_opts *o, const struct conform_run *run,
			const char *scratch);

/* One layout as a row of the conformance check: built by c's extract
 * hook replaced, forked under its umask, judged on every rule (or as a
 * refusal row when the contract refuses it).  c->keep decides whether a
 * failing row keeps its trees.  0, or -errno when it could not be set up. */
int check_layout_row(const struct conform_setup *c, const struct layout *l, const char *name,
		     struct conform_row *row, char *err, size_t len);

/* --generate: o->generate layouts of o->seed as rows of run; failures
 * shrunk into scratch/shrunk/, each printed with run->repro (the command
 * line that reruns the check) and the shrunk fixture.  Returns the exit
 * status. */
int check_generate(const struct check_opts *o, const struct conform_setup *c, const char *scratch,
		   struct conform_run *run);

/* A fresh seed for --generate without --seed (getrandom). */
uint64_t check_random_seed(void);

/* Reduce l, which fails rule under c, to a smaller layout that still does
 * (fewer forks at once and the tidy place first, then delta debugging
 * over entries, then their sizes, modes, names and depth, then the
 * layout's umask and root mode).  *out is the result;
 * *trials the forks it took.  0 or -errno. */
int check_shrink(const struct conform_setup *c, const struct layout *l, int rule,
		 struct layout *out, unsigned *trials);

#endif
