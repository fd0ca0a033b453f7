/*
 * Accounts: sign up, log in, log out, who am I.  priv: the struct
 * api_tenant.
 *
 *   POST /api/auth/register  {name, email, password} -> 201 {user, token}
 *   POST /api/auth/login     {email, password} -> {token, expires_at}
 *   POST /api/auth/logout    the token is revoked, on every replica
 *   GET  /api/auth/me        the user, their projects and roles
 */

#ifndef STOKE_API_ACCOUNT_H
#define STOKE_API_ACCOUNT_H

#include "http_api.h"

api_handler_f api_register_post;
api_handler_f api_login_post;
api_handler_f api_logout_post;
api_handler_f api_me_get;

#endif
