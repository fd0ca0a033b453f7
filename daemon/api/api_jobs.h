/*
 * Warm jobs over the API: POST /api/v1/jobs starts one, GET
 * /api/v1/jobs lists them, GET /api/v1/jobs?id=N shows one with its
 * failures.
 */

#ifndef STOKE_API_JOBS_H
#define STOKE_API_JOBS_H

#include "http_api.h"

api_handler_f api_jobs_get;
api_handler_f api_jobs_post;

#endif
