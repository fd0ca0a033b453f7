/*
 * The API's description, served as it was written.
 */

#include "config.h"

#include "vdef.h"
#include "vas.h"

#include "api_openapi.h"

void
api_openapi_get(struct api_req *r, void *priv)
{
	(void)priv;
	http_api_reply_text(r, 200, api_openapi_json);
}
