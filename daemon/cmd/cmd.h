/*
 * The subcommands of stoked.  Each returns the process exit status:
 * 0 on success, 1 on failure, 2 on bad usage.
 */

#ifndef STOKE_CMD_H
#define STOKE_CMD_H

int cmd_db(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_index(int argc, char **argv);
int cmd_job(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_agent(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_warm(int argc, char **argv);
int cmd_worker(int argc, char **argv);

/* Migrates the database at url, printing what it did (cmd_migrate.c). */
int cmd_migrate_url(const char *who, const char *url);

#endif
