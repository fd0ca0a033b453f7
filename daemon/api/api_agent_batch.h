/*
 * An agent's batch read from its body: every row of every kind checked
 * against the protocol (api_agent_link.c), and handed on as JSON for the
 * store, which takes a batch in one statement; its results, thousands,
 * as a column each (enum ags_result_col).
 */

#ifndef STOKE_API_AGENT_BATCH_H
#define STOKE_API_AGENT_BATCH_H

#include <jansson.h>

#include "store/agent_store.h"
#include "api_input.h"

/* A time the database takes: after 1970, before the year 5000. */
#define AGENT_TIME_MAX 1e11
#define AGENT_URL_MAX 8192
/* Rows of each kind in one batch, at most. */
#define AGENT_BATCH_ROWS_MAX 5000
/* Popular paths and search terms in one batch, at most. */
#define AGENT_POPULAR_ROWS_MAX 1000
#define AGENT_SEARCH_ROWS_MAX 500
#define AGENT_PATH_MAX 2048
#define AGENT_TERM_MAX 100
/* jobs, invalidations, results, traffic, tasks, popular, searches */
#define AGENT_BATCH_KINDS 7

struct agent_batch_in {
	struct ags_batch bt; /* key borrowed from the body, rows ours */
	char *rows[AGENT_BATCH_KINDS]; /* JSON; the results' NULL */
	char *results[AGS_RESULT_COLS];
};

/* 0 and the batch in *in, until agent_batch_clear(); or -1 with why in
 * *err, and nothing to clear. */
int agent_batch_read(json_t *body, struct agent_batch_in *in,
    struct api_input_err *err);
void agent_batch_clear(struct agent_batch_in *);

#endif
