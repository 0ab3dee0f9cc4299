/* abi.c - structs that grow without breaking callers.
 *
 * Each public struct starts with the size the caller was compiled with.
 * In: the kernel's copy_struct_from_user() rule (include/linux/uaccess.h,
 * as openat2 and clone3 use it): a smaller struct is an older caller, its
 * missing fields are 0; a larger one is a newer caller, accepted only if
 * every field this library does not know is 0.  Out: we write no byte
 * past the caller's size and zero the fields we do not know.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

int sf_struct_in(void *ours, size_t ours_size, const void *theirs, uint32_t min)
{
	uint32_t have;
	memcpy(&have, theirs, sizeof have);
	if (have < min)
		return -EINVAL;
	const unsigned char *t = theirs;
	for (size_t i = ours_size; i < have; i++)
		if (t[i])
			return -E2BIG;
	memset(ours, 0, ours_size);
	memcpy(ours, theirs, have < ours_size ? have : ours_size);
	return 0;
}

int sf_struct_size_ok(const void *theirs, uint32_t min)
{
	uint32_t have;
	memcpy(&have, theirs, sizeof have);
	return have >= min;
}

void sf_struct_out(void *theirs, const void *ours, size_t ours_size)
{
	uint32_t have;
	memcpy(&have, theirs, sizeof have);
	memcpy(theirs, ours, have < ours_size ? have : ours_size);
	if (have > ours_size)
		memset((unsigned char *)theirs + ours_size, 0, have - ours_size);
	memcpy(theirs, &have, sizeof have); /* the caller's size stays its own */
}
