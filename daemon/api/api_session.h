/*
 * Who is asking: a bearer token, checked (signature, key, expiry) then
 * looked up (revoked at logout? its user still there?) in the database,
 * which every replica shares, so that a logout is honoured everywhere
 * at once.
 */

#ifndef STOKE_API_SESSION_H
#define STOKE_API_SESSION_H

#include "http_api.h"

/* The authenticator (http_api_auth); priv: the struct api_tenant. */
api_auth_f api_session_auth;

#endif
