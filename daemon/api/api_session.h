/*
 * Who is asking: a bearer token, checked (signature, key, expiry) then
 * looked up (revoked at logout? its user still there?) in the database,
 * which every replica shares, so that a logout is honoured everywhere
 * at once.  Or an API key of a project (a bearer "stk_..."), looked up
 * by its hash the same way, so that a revoked key is refused at once:
 * 401 invalid_key if unknown or revoked, 403 key_scope on a route that
 * needs a scope it does not hold (or that no key may call).
 */

#ifndef STOKE_API_SESSION_H
#define STOKE_API_SESSION_H

#include "http_api.h"

/* The authenticator (http_api_auth); priv: the struct api_tenant. */
api_auth_f api_session_auth;

#endif
