/*
 * The agent's spool read back from its directory (link/spool.c): a
 * batch file an earlier run left, which a crash, a full disk or another
 * hand may have cut or garbled.  The input is the file; the spool made
 * on its directory must take it or leave it, and give back exactly the
 * bytes after its header line.
 */

#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vdef.h"
#include "vas.h"

#include "core/log.h"
#include "link/spool.h"

#include "fuzz/fuzz.h"

static char dir[64], spooldir[80];
static char path[128];

/* What the last run left (its batch saved at exit) goes. */
static void
empty_dir(void)
{
	char p[128];
	struct dirent *de;
	DIR *d;

	d = opendir(spooldir);
	AN(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof p, "%s/%s", spooldir, de->d_name);
		AZ(unlink(p));
	}
	AZ(closedir(d));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spool_conf conf = { 1 << 20, 1 << 24, NULL };
	struct spool_batch b;
	struct spool_stats st;
	struct spool *sp;
	char err[256];
	FILE *f;
	const char *tmp;
	unsigned n;

	if (dir[0] == '\0') {
		log_setup("fuzz", LL_ERROR);
		/* $TMPDIR: run.sh points it at memory where it can. */
		tmp = getenv("TMPDIR");
		if (tmp == NULL || *tmp == '\0' || strlen(tmp) > 32)
			tmp = "/tmp";
		snprintf(dir, sizeof dir, "%s/stoke-fuzz-spool.XXXXXX", tmp);
		AN(mkdtemp(dir));
		/* The spool's files are in its directory's "spool". */
		snprintf(spooldir, sizeof spooldir, "%s/spool", dir);
		AZ(mkdir(spooldir, 0700));
		snprintf(path, sizeof path, "%s/%016x.batch", spooldir, 1U);
	}
	empty_dir();
	f = fopen(path, "w");
	AN(f);
	assert(fwrite(data, 1, size, f) == size);
	AZ(fclose(f));

	conf.dir = dir;
	sp = spool_new(&conf, err, sizeof err);
	AN(sp);
	spool_stats(sp, &st);
	assert(st.batches <= 1);
	for (n = 0; spool_head(sp, &b) == 1; n++) {
		AN(b.key);
		assert(b.len <= size);
		/* The body is the file's tail, byte for byte. */
		assert(!memcmp(b.body, data + size - b.len, b.len));
		spool_pop(sp);
	}
	assert(n <= 1);
	/* A new batch goes after what was there. */
	AZ(spool_push(sp, "run:1", "{}", 2, 0, 1));
	spool_save(sp);
	spool_free(&sp);
	return (0);
}
