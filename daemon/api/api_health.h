/*
 * For load balancers and orchestrators: /healthz says the process
 * answers, /readyz that it can serve (the database answers and its
 * schema is the one this stoked needs).  priv: the struct api_tenant.
 */

#ifndef STOKE_API_HEALTH_H
#define STOKE_API_HEALTH_H

#include "http_api.h"

api_handler_f api_healthz_get;
api_handler_f api_readyz_get;

#endif
