/*
 * The agent's spool (spool.h).  One list, oldest first, whatever each
 * batch waits in: a batch goes to memory while there is room there,
 * else to a file of its own, so that order never depends on where a
 * batch waits.  A file is named by the batch's place in that order
 * (16 hex digits), written aside and renamed, so that a file seen is
 * whole; its first line says what the batch is:
 *
 *	stoke-batch 1 ROWS GZIP KEY
 *
 * and the body follows.
 */

#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vqueue.h"

#include "core/log.h"
#include "spool.h"

#define SP_HEADER "stoke-batch 1"
#define SP_KEY_MAX 128

struct sp_entry {
	unsigned magic;
#define SP_ENTRY_MAGIC 0x3b0c5d11
	VTAILQ_ENTRY(sp_entry) list;
	uint64_t seq;
	char key[SP_KEY_MAX];
	unsigned rows;
	int gzip;
	size_t len;
	size_t fsize; /* its file's, or 0: in memory */
	unsigned char *body; /* in memory, or the head's read back */
};

struct spool {
	unsigned magic;
#define SPOOL_MAGIC 0x3b0c5d10
	struct spool_conf conf;
	char *dir;
	VTAILQ_HEAD(, sp_entry) list;
	uint64_t next_seq;
	struct spool_stats st;
	unsigned said_full : 1;
	unsigned said_unwritable : 1; /* a batch's file could not be written */
	spool_notify_f *notify;
	void *notify_priv;
};

static void
sp_path(const struct spool *sp, uint64_t seq, const char *sfx, char *buf,
    size_t len)
{
	AN(sp->dir);
	assert((size_t)snprintf(buf, len, "%s/%016" PRIx64 ".batch%s", sp->dir,
	           seq, sfx) < len);
}

static void
sp_entry_free(struct sp_entry *e)
{
	CHECK_OBJ_NOTNULL(e, SP_ENTRY_MAGIC);
	free(e->body);
	FREE_OBJ(e);
}

/*--------------------------------------------------------------------
 * Files
 */

/* The batch in its file; 0, or -1 (errno). */
static int
sp_write(const struct spool *sp, struct sp_entry *e)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	FILE *f;
	int n, ok, err;

	sp_path(sp, e->seq, "", path, sizeof path);
	sp_path(sp, e->seq, ".tmp", tmp, sizeof tmp);
	f = fopen(tmp, "we");
	if (f == NULL)
		return (-1);
	errno = 0;
	n = fprintf(f, SP_HEADER " %u %d %s\n", e->rows, e->gzip, e->key);
	ok = n > 0 && fwrite(e->body, 1, e->len, f) == e->len;
	/* A full disk may show only at fclose(), as it flushes. */
	if (fclose(f) != 0)
		ok = 0;
	if (!ok || rename(tmp, path) != 0) {
		err = errno != 0 ? errno : EIO;
		(void)unlink(tmp);
		errno = err;
		return (-1);
	}
	e->fsize = (size_t)n + e->len;
	return (0);
}

/* The head's body read back from its file; 0, or -1. */
static int
sp_read(const struct spool *sp, struct sp_entry *e)
{
	char path[PATH_MAX], line[256];
	FILE *f;
	int ok;

	AZ(e->body);
	sp_path(sp, e->seq, "", path, sizeof path);
	f = fopen(path, "re");
	if (f == NULL)
		return (-1);
	e->body = malloc(e->len > 0 ? e->len : 1);
	AN(e->body);
	ok = fgets(line, sizeof line, f) != NULL &&
	    fread(e->body, 1, e->len, f) == e->len;
	(void)fclose(f);
	if (!ok) {
		free(e->body);
		e->body = NULL;
		return (-1);
	}
	return (0);
}

/* A file left by an earlier run: its entry, or NULL (and it is said). */
static struct sp_entry *
sp_load_one(const struct spool *sp, const char *name)
{
	char path[PATH_MAX], line[256], key[SP_KEY_MAX];
	struct sp_entry *e;
	unsigned rows;
	struct stat stb;
	uint64_t seq;
	int gzip, n;
	char *end;
	FILE *f;

	seq = strtoull(name, &end, 16);
	if (end != name + 16 || strcmp(end, ".batch") != 0)
		return (NULL);
	assert((size_t)snprintf(path, sizeof path, "%s/%s", sp->dir, name) <
	    sizeof path);
	f = fopen(path, "re");
	if (f == NULL)
		return (NULL);
	n = 0;
	if (fgets(line, sizeof line, f) == NULL ||
	    sscanf(line, SP_HEADER " %u %d %127s%n", &rows, &gzip, key, &n) !=
	        3 ||
	    fstat(fileno(f), &stb) != 0 || (size_t)stb.st_size < strlen(line)) {
		(void)fclose(f);
		log_warning("spool", "%s: not a batch, left alone", path);
		return (NULL);
	}
	(void)fclose(f);
	ALLOC_OBJ(e, SP_ENTRY_MAGIC);
	AN(e);
	e->seq = seq;
	snprintf(e->key, sizeof e->key, "%s", key);
	e->rows = rows;
	e->gzip = gzip;
	e->fsize = (size_t)stb.st_size;
	e->len = e->fsize - strlen(line);
	return (e);
}

static int
sp_cmp(const void *a, const void *b)
{
	const struct sp_entry *const *x = a, *const *y = b;

	return ((*x)->seq < (*y)->seq ? -1 : (*x)->seq > (*y)->seq);
}

/* What an earlier run left, oldest first; 0, or -1 with err. */
static int
sp_load(struct spool *sp, char *err, size_t errlen)
{
	struct sp_entry **v = NULL, *e;
	struct dirent *de;
	size_t n = 0, l = 0, i;
	DIR *d;

	d = opendir(sp->dir);
	if (d == NULL) {
		snprintf(err, errlen, "%s: %s", sp->dir, strerror(errno));
		return (-1);
	}
	while ((de = readdir(d)) != NULL) {
		e = sp_load_one(sp, de->d_name);
		if (e == NULL)
			continue;
		if (n == l) {
			l = l > 0 ? l * 2 : 64;
			v = realloc(v, l * sizeof *v);
			AN(v);
		}
		v[n++] = e;
	}
	(void)closedir(d);
	if (n > 0)
		qsort(v, n, sizeof *v, sp_cmp);
	for (i = 0; i < n; i++) {
		VTAILQ_INSERT_TAIL(&sp->list, v[i], list);
		sp->st.rows += v[i]->rows;
		sp->st.batches++;
		sp->st.disk_bytes += v[i]->fsize;
		sp->next_seq = v[i]->seq + 1;
	}
	free(v);
	if (n > 0)
		log_notice("spool",
		    "%zu batches (%" PRIu64 " rows) waiting from before", n,
		    sp->st.rows);
	return (0);
}

/*--------------------------------------------------------------------
 * The spool
 */

struct spool *
spool_new(const struct spool_conf *c, char *err, size_t errlen)
{
	struct spool *sp;

	AN(c);
	AN(err);
	err[0] = '\0';
	ALLOC_OBJ(sp, SPOOL_MAGIC);
	AN(sp);
	sp->conf = *c;
	VTAILQ_INIT(&sp->list);
	if (c->dir != NULL) {
		sp->dir = malloc(strlen(c->dir) + sizeof "/spool");
		AN(sp->dir);
		sprintf(sp->dir, "%s/spool", c->dir);
		if ((mkdir(c->dir, 0700) != 0 && errno != EEXIST) ||
		    (mkdir(sp->dir, 0700) != 0 && errno != EEXIST) ||
		    sp_load(sp, err, errlen) != 0) {
			if (err[0] == '\0')
				snprintf(err, errlen, "%s: %s", sp->dir,
				    strerror(errno));
			spool_free(&sp);
			return (NULL);
		}
	}
	sp->conf.dir = NULL; /* the caller's string: sp->dir from now on */
	return (sp);
}

void
spool_set_notify(struct spool *sp, spool_notify_f *fn, void *priv)
{
	CHECK_OBJ_NOTNULL(sp, SPOOL_MAGIC);
	sp->notify = fn;
	sp->notify_priv = priv;
}

/*
 * A batch's file could not be written (the disk is full, most likely):
 * said once, until one is written again.  Its rows are dropped, as when
 * the spool is full, and counted the same.
 */
static int
sp_unwritable(struct spool *sp, unsigned rows, int err)
{
	sp->st.dropped_rows += rows;
	if (!sp->said_unwritable) {
		sp->said_unwritable = 1;
		log_error("spool",
		    "%s: a batch cannot be written (%s): dropping rows "
		    "that do not fit in memory until one can",
		    sp->dir, strerror(err));
	}
	return (-1);
}

static void
sp_written(struct spool *sp)
{
	if (!sp->said_unwritable)
		return;
	sp->said_unwritable = 0;
	log_notice("spool", "%s: batches are written again", sp->dir);
}

static int
sp_full(struct spool *sp, unsigned rows)
{
	sp->st.dropped_rows += rows;
	if (!sp->said_full) {
		sp->said_full = 1;
		log_error("spool",
		    "full (%" PRIu64 " bytes in memory, %" PRIu64
		    " on disk): dropping rows until the control plane "
		    "takes what waits",
		    sp->st.mem_bytes, sp->st.disk_bytes);
	}
	return (-1);
}

int
spool_push(struct spool *sp, const char *key, const void *body, size_t len,
    int gzip, unsigned rows)
{
	struct sp_entry *e;
	int err;

	CHECK_OBJ_NOTNULL(sp, SPOOL_MAGIC);
	AN(key);
	AN(body);
	if (strlen(key) >= SP_KEY_MAX || strchr(key, ' ') != NULL)
		return (sp_full(sp, rows));
	ALLOC_OBJ(e, SP_ENTRY_MAGIC);
	AN(e);
	e->seq = sp->next_seq++;
	snprintf(e->key, sizeof e->key, "%s", key);
	e->rows = rows;
	e->gzip = gzip;
	e->len = len;
	e->body = malloc(len > 0 ? len : 1);
	AN(e->body);
	memcpy(e->body, body, len);
	if (sp->st.mem_bytes + len <= sp->conf.mem_max) {
		sp->st.mem_bytes += len;
	} else if (sp->dir != NULL &&
	    sp->st.disk_bytes + len + 64 + SP_KEY_MAX <= sp->conf.disk_max) {
		if (sp_write(sp, e) != 0) {
			err = errno;
			sp_entry_free(e);
			return (sp_unwritable(sp, rows, err));
		}
		sp_written(sp);
		free(e->body);
		e->body = NULL;
		sp->st.disk_bytes += e->fsize;
	} else {
		sp_entry_free(e);
		return (sp_full(sp, rows));
	}
	VTAILQ_INSERT_TAIL(&sp->list, e, list);
	sp->st.rows += rows;
	sp->st.batches++;
	if (sp->notify != NULL)
		sp->notify(sp->notify_priv);
	return (0);
}

int
spool_head(struct spool *sp, struct spool_batch *b)
{
	struct sp_entry *e;

	CHECK_OBJ_NOTNULL(sp, SPOOL_MAGIC);
	AN(b);
	while ((e = VTAILQ_FIRST(&sp->list)) != NULL) {
		if (e->body != NULL || sp_read(sp, e) == 0)
			break;
		log_error("spool", "batch %s: its file cannot be read: lost",
		    e->key);
		sp->st.lost_batches++;
		spool_pop(sp);
	}
	if (e == NULL)
		return (0);
	b->key = e->key;
	b->body = e->body;
	b->len = e->len;
	b->gzip = e->gzip;
	b->rows = e->rows;
	return (1);
}

void
spool_pop(struct spool *sp)
{
	char path[PATH_MAX];
	struct sp_entry *e;

	CHECK_OBJ_NOTNULL(sp, SPOOL_MAGIC);
	e = VTAILQ_FIRST(&sp->list);
	CHECK_OBJ_NOTNULL(e, SP_ENTRY_MAGIC);
	VTAILQ_REMOVE(&sp->list, e, list);
	if (e->fsize > 0) {
		sp_path(sp, e->seq, "", path, sizeof path);
		(void)unlink(path);
		sp->st.disk_bytes -= e->fsize;
	} else {
		sp->st.mem_bytes -= e->len;
	}
	sp->st.rows -= e->rows;
	sp->st.batches--;
	sp_entry_free(e);
	if (sp->said_full && VTAILQ_EMPTY(&sp->list)) {
		sp->said_full = 0;
		log_notice("spool",
		    "empty again: %" PRIu64 " rows were dropped in all",
		    sp->st.dropped_rows);
	}
}

void
spool_stats(const struct spool *sp, struct spool_stats *st)
{
	CHECK_OBJ_NOTNULL(sp, SPOOL_MAGIC);
	AN(st);
	*st = sp->st;
}

void
spool_save(struct spool *sp)
{
	struct sp_entry *e;
	size_t n = 0;

	CHECK_OBJ_NOTNULL(sp, SPOOL_MAGIC);
	if (sp->dir == NULL)
		return;
	VTAILQ_FOREACH(e, &sp->list, list)
	{
		if (e->fsize > 0)
			continue;
		if (sp_write(sp, e) != 0) {
			log_error("spool", "%s: %s: batch %s lost", sp->dir,
			    strerror(errno), e->key);
			continue;
		}
		sp->st.mem_bytes -= e->len;
		sp->st.disk_bytes += e->fsize;
		free(e->body);
		e->body = NULL;
		n++;
	}
	if (n > 0)
		log_notice("spool", "%zu batches kept in %s for the next run",
		    n, sp->dir);
}

void
spool_free(struct spool **spp)
{
	struct sp_entry *e;
	struct spool *sp;

	TAKE_OBJ_NOTNULL(sp, spp, SPOOL_MAGIC);
	while ((e = VTAILQ_FIRST(&sp->list)) != NULL) {
		VTAILQ_REMOVE(&sp->list, e, list);
		sp_entry_free(e);
	}
	free(sp->dir);
	FREE_OBJ(sp);
}
