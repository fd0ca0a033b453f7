/*
 * GET /api/openapi.json: the tenants' API described (OpenAPI 3.1), as
 * daemon/api/openapi.json has it.  The file is compiled in by
 * gen_openapi.sh, so that what a stoked serves describes that stoked.
 */

#ifndef STOKE_API_OPENAPI_H
#define STOKE_API_OPENAPI_H

#include "http_api.h"

/* openapi.json's text, made at build time (openapi_json.c). */
extern const char api_openapi_json[];

api_handler_f api_openapi_get;

#endif
