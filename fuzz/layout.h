/* layout.h - decode fuzzer bytes into a snapshot directory tree.
 * Shared by the layout fuzzer and snapfork-fuzz-replay, which turns any
 * input into a real tree for a developer to fork by hand. */
#ifndef SNAPFORK_FUZZ_LAYOUT_H
#define SNAPFORK_FUZZ_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#define FZ_MAX_OPS 48

/* Build the tree that data describes inside the existing directory root.
 * Operations that fail (a name taken, a parent gone) are skipped: every
 * input decodes to some tree.  Returns the number of operations done. */
int fz_layout_build(const uint8_t *data, size_t size, const char *root);

#endif
