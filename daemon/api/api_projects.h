/*
 * Projects, the tenants, and their members.  priv: the struct
 * api_tenant.  What a caller may do is their role's (the store checks
 * it in the same statement): a viewer reads, an admin changes, an owner
 * deletes and manages members; a project they are not a member of is
 * not found.
 */

#ifndef STOKE_API_PROJECTS_H
#define STOKE_API_PROJECTS_H

#include "http_api.h"

api_handler_f api_projects_get;
api_handler_f api_projects_post;
api_handler_f api_project_get;
api_handler_f api_project_put;
api_handler_f api_project_delete;
api_handler_f api_members_get;
api_handler_f api_members_post;
api_handler_f api_member_delete;

#endif
