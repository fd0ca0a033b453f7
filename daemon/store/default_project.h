/*
 * Until there are tenants, what stoked warms by itself (stoked run) or
 * is asked to by the CLI (stoked job) belongs to one project, "default",
 * made on first use with the unlimited plan.  The statements that need
 * it share this SQL: common table expressions to follow WITH, the last
 * of which, default_project, holds its id.
 */

#ifndef STOKE_DEFAULT_PROJECT_H
#define STOKE_DEFAULT_PROJECT_H

#define SQL_DEFAULT_PROJECT                                                    \
	"found_project AS ("                                                   \
	"  SELECT id FROM projects WHERE name = 'default'"                     \
	"  ORDER BY id LIMIT 1"                                                \
	"), made_project AS ("                                                 \
	"  INSERT INTO projects (name, plan_id)"                               \
	"  SELECT 'default', id FROM plans WHERE name = 'unlimited'"           \
	"    AND NOT EXISTS (SELECT 1 FROM found_project)"                     \
	"  RETURNING id"                                                       \
	"), default_project AS ("                                              \
	"  SELECT id FROM found_project UNION ALL SELECT id FROM made_project" \
	")"

#endif
