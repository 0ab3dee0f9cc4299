/* oracle.h - what a fork of a fuzzed tree must be, judged apart from
 * ref/: the checker (suites/judge) derives the expectation from the
 * contract with its own walk; here we add what only a harness can see. */
#ifndef SNAPFORK_FUZZ_ORACLE_H
#define SNAPFORK_FUZZ_ORACLE_H

/* A scratch directory on tmpfs for this process: root/src is the tree,
 * root/dst the fork, root/sentinel a file that nothing may touch.
 * fz_scratch makes it (once) and empties it for the next input. */
const char *fz_scratch(void);

/* Fork root/src into root/dst with the reference library and abort()
 * with a description on any mismatch: a tree with a FIFO or device must
 * be refused with nothing left; any other must fork, pass every check of
 * the checker (F1-F6, F9-F11), leak no fd, and leave the sentinel be. */
void fz_fork_and_judge(const char *root);

/* abort() unless the sentinel is as fz_scratch wrote it. */
void fz_sentinel_intact(const char *root);

#endif
