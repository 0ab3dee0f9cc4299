/* tarcraft.c - see tarcraft.h.  ustar headers (POSIX.1-1988) and pax
 * extended headers (POSIX.1-2001): "%d key=value\n", length inclusive. */
#include <stdlib.h>
#include <string.h>

#include "tarcraft.h"

int tt_tar_open(struct tt_tar *t, const char *path)
{
	t->f = fopen(path, "wb");
	return t->f ? 0 : -1;
}

static void pad(FILE *f, size_t len)
{
	static const char zero[512];
	if (len % 512)
		fwrite(zero, 1, 512 - len % 512, f);
}

static void header(FILE *f, const char *name, char type, unsigned mode, const char *link,
		   size_t size)
{
	unsigned char h[512];
	memset(h, 0, sizeof h);
	strncpy((char *)h, name, 100);
	snprintf((char *)h + 100, 8, "%07o", mode & 07777);
	snprintf((char *)h + 108, 8, "%07o", 0);
	snprintf((char *)h + 116, 8, "%07o", 0);
	snprintf((char *)h + 124, 12, "%011zo", size);
	snprintf((char *)h + 136, 12, "%011o", 1700000000u);
	h[156] = (unsigned char)type;
	if (link)
		strncpy((char *)h + 157, link, 100);
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	unsigned sum = 0;
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	fwrite(h, 1, 512, f);
}

static void pax_record(char **buf, size_t *len, const char *kv)
{
	char digits[32];
	size_t total = 0;
	for (size_t d = 1; d < 20; d++) {
		total = strlen(kv) + 2 + d;
		if (snprintf(digits, sizeof digits, "%zu", total) == (int)d)
			break;
	}
	*buf = realloc(*buf, *len + total + 1);
	snprintf(*buf + *len, total + 1, "%zu %s\n", total, kv);
	*len += total;
}

void tt_tar_entry(struct tt_tar *t, const char *name, char type, unsigned mode, const char *link,
	      const void *data, size_t len, const char *pax)
{
	char *ext = NULL;
	size_t elen = 0;
	if (strlen(name) > 99) {
		char *kv = malloc(strlen(name) + 6);
		sprintf(kv, "path=%s", name);
		pax_record(&ext, &elen, kv);
		free(kv);
	}
	for (const char *p = pax; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char *kv = strndup(p, n);
		pax_record(&ext, &elen, kv);
		free(kv);
		p += n + (nl ? 1 : 0);
	}
	if (ext) {
		header(t->f, "PaxHeader/x", 'x', 0644, NULL, elen);
		fwrite(ext, 1, elen, t->f);
		pad(t->f, elen);
		free(ext);
	}
	header(t->f, name, type, mode, link, len);
	if (len) {
		fwrite(data, 1, len, t->f);
		pad(t->f, len);
	}
}

int tt_tar_close(struct tt_tar *t)
{
	static const char zero[1024];
	fwrite(zero, 1, sizeof zero, t->f);
	return fclose(t->f);
}
