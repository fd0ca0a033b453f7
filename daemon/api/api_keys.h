/*
 * A project's API keys, for CI/CD.  priv: the struct api_tenant.  Any
 * member lists them (never a key nor its hash: the prefix tells them
 * apart); an owner or an admin creates one, shown whole in that answer
 * only, and revokes one, refused from then on (key_store.h).  A key
 * acts through a user of its own, a member of this project only: on
 * whatever route names a scope it holds (routes.c, api_session.c).
 */

#ifndef STOKE_API_KEYS_H
#define STOKE_API_KEYS_H

#include "http_api.h"

api_handler_f api_keys_get;
api_handler_f api_keys_post;
api_handler_f api_key_delete;

#endif
