/*
 * A website's warm jobs over the tenants' API:
 *	GET|POST /api/websites/:id/jobs
 *	GET|DELETE /api/jobs/:id
 * and their results, api_tresults.h.  priv: the struct api_tenant.  The
 * body of a job is checked here (its URLs on the website's host, its
 * variants); who may do what, the store says (store/tjob_store.h).
 */

#ifndef STOKE_API_TJOBS_H
#define STOKE_API_TJOBS_H

#include "http_api.h"

api_handler_f api_tjobs_get;
api_handler_f api_tjobs_post;
api_handler_f api_tjob_get;
api_handler_f api_tjob_delete;

#endif
