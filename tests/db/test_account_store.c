/*
 * account_store against a real PostgreSQL, migrated (run by accounts.sh
 * with the database's URL): users, credentials, projects and their
 * members, roles, the last owner, revoked tokens.  Above all that a
 * project is not there for who is not its member.
 *
 * usage: test_account_store URL
 */

#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "store/account_store.h"
#include "store/pg_pool.h"
#include "tests/unit/unit.h"

#define NOBODY ((int64_t)1 << 40)

static struct event_base *tas_eb;
static struct pg_pool *tas_pool;
static const char *tas_err;

/* The last answer. */
static struct tas_answer {
	unsigned magic;
#define TAS_ANSWER_MAGIC 0x7a5a0e01
	int done;
	enum as_status status;
	json_t *doc; /* the JSON, parsed */
	char *err;
} tas_ans;

static void
tas_on_done(void *priv, enum as_status st, const char *json, const char *err)
{
	struct tas_answer *a;
	json_error_t je;

	CAST_OBJ_NOTNULL(a, priv, TAS_ANSWER_MAGIC);
	AZ(a->done);
	a->done = 1;
	a->status = st;
	if (json != NULL) {
		a->doc = json_loads(json, 0, &je);
		if (a->doc == NULL)
			fprintf(stderr, "bad JSON: %s: %s\n", je.text, json);
		AN(a->doc);
	}
	if (err != NULL) {
		a->err = strdup(err);
		AN(a->err);
	}
}

/* A fresh answer to wait for. */
static void *
tas_begin(void)
{
	json_decref(tas_ans.doc);
	free(tas_ans.err);
	memset(&tas_ans, 0, sizeof tas_ans);
	tas_ans.magic = TAS_ANSWER_MAGIC;
	tas_err = NULL;
	return (&tas_ans);
}

/* Run the loop until the call is answered: its status, -1 if refused. */
static int
tas_end(int rc)
{
	if (rc != 0) {
		AN(tas_err);
		return (-1);
	}
	while (!tas_ans.done)
		assert(event_base_loop(tas_eb, EVLOOP_ONCE) >= 0);
	if (tas_ans.status == AS_ERROR)
		fprintf(stderr, "(the database said: %s)\n", tas_ans.err);
	return ((int)tas_ans.status);
}

#define ASK(fn, ...)                                                           \
	tas_end(fn(tas_pool, __VA_ARGS__, tas_on_done, tas_begin(), &tas_err))

/* Fields of the last answer; "" or -1 when missing. */
static const char *
tas_str(const json_t *o, const char *key)
{
	const char *s;

	s = json_string_value(json_object_get(o, key));
	return (s != NULL ? s : "");
}

static int64_t
tas_int(const json_t *o, const char *key)
{
	const json_t *v;

	v = json_object_get(o, key);
	return (json_is_integer(v) ? (int64_t)json_integer_value(v) : -1);
}

static size_t
tas_len(const char *key)
{
	return (json_array_size(json_object_get(tas_ans.doc, key)));
}

static const json_t *
tas_at(const char *key, size_t i)
{
	return (json_array_get(json_object_get(tas_ans.doc, key), i));
}

static void
tas_tick(evutil_socket_t fd, short what, void *priv)
{
	(void)fd;
	(void)what;
	(void)priv;
}

/* Until the pool has a connection: the store refuses to ask before. */
static void
tas_connect(const char *url)
{
	struct timeval tv = { 0, 20000 };
	struct pg_pool_stats ps;
	struct event *tick;
	char err[256];
	int i;

	tas_pool = pg_pool_new(tas_eb, url, 2, err, sizeof err);
	if (tas_pool == NULL) {
		fprintf(stderr, "pg_pool_new: %s\n", err);
		exit(1);
	}
	tick = event_new(tas_eb, -1, EV_PERSIST, tas_tick, NULL);
	AN(tick);
	AZ(evtimer_add(tick, &tv));
	for (i = 0; i < 1000; i++) {
		pg_pool_stats(tas_pool, &ps);
		if (ps.connected > 0)
			break;
		assert(event_base_loop(tas_eb, EVLOOP_ONCE) >= 0);
	}
	event_free(tick);
	if (ps.connected == 0) {
		fprintf(stderr, "no connection: %s\n",
		    pg_pool_last_error(tas_pool));
		exit(1);
	}
}

/*--------------------------------------------------------------------
 * The cases
 */

static int64_t
tas_user(const char *name, const char *email)
{
	if (!CHECK_INT_EQ(ASK(as_user_create, name, email, "hash"), AS_OK))
		exit(1);
	CHECK_STR_EQ(tas_str(tas_ans.doc, "name"), name);
	CHECK_STR_EQ(tas_str(tas_ans.doc, "email"), email);
	CHECK(tas_str(tas_ans.doc, "created_at")[0] != '\0');
	return (tas_int(tas_ans.doc, "id"));
}

static void
tas_users(int64_t alice)
{
	/* The same e-mail in other case is taken; a malformed one fails. */
	CHECK_INT_EQ(ASK(as_user_create, "A2", "ALICE@Example.COM", "h"),
	    AS_CONFLICT);
	CHECK(tas_ans.doc == NULL && tas_ans.err == NULL);
	CHECK_INT_EQ(ASK(as_user_create, "X", "no-at-sign", "h"), AS_ERROR);
	CHECK_INT_EQ(ASK(as_user_create, "X", "a@b@c", "h"), AS_ERROR);

	CHECK_INT_EQ(ASK(as_user_credentials, "Alice@EXAMPLE.com"), AS_OK);
	CHECK_INT_EQ(tas_int(tas_ans.doc, "id"), alice);
	CHECK_STR_EQ(tas_str(tas_ans.doc, "password_hash"), "hash");
	CHECK_INT_EQ(ASK(as_user_credentials, "nobody@example.com"),
	    AS_NOT_FOUND);
	CHECK_INT_EQ(ASK(as_user_me, NOBODY), AS_NOT_FOUND);
}

static int64_t
tas_project(int64_t alice, int64_t dave)
{
	int64_t p;

	CHECK_INT_EQ(ASK(as_project_create, alice, "Shop"), AS_OK);
	p = tas_int(tas_ans.doc, "id");
	CHECK(p > 0);
	CHECK_STR_EQ(tas_str(tas_ans.doc, "name"), "Shop");
	CHECK_STR_EQ(tas_str(tas_ans.doc, "role"), "owner");
	CHECK_STR_EQ(tas_str(tas_ans.doc, "plan"), "free");
	CHECK_INT_EQ(tas_int(tas_ans.doc, "members"), 1);
	CHECK_INT_EQ(ASK(as_project_create, NOBODY, "Ghost"), AS_NOT_FOUND);

	CHECK_INT_EQ(ASK(as_projects, alice), AS_OK);
	CHECK_INT_EQ(tas_len("projects"), 1);
	CHECK_INT_EQ(tas_int(tas_at("projects", 0), "id"), p);
	CHECK_STR_EQ(tas_str(tas_at("projects", 0), "role"), "owner");
	CHECK(tas_str(tas_at("projects", 0), "created_at")[0] != '\0');
	CHECK_INT_EQ(ASK(as_projects, dave), AS_OK);
	CHECK_INT_EQ(tas_len("projects"), 0);

	CHECK_INT_EQ(ASK(as_project_get, alice, p), AS_OK);
	CHECK_INT_EQ(tas_int(tas_ans.doc, "members"), 1);
	CHECK_INT_EQ(ASK(as_project_get, dave, p), AS_NOT_FOUND);
	CHECK_INT_EQ(ASK(as_project_get, alice, NOBODY), AS_NOT_FOUND);
	return (p);
}

static void
tas_members(int64_t p, int64_t alice, int64_t bob, int64_t carol, int64_t dave)
{
	CHECK_INT_EQ(ASK(as_member_put, alice, p, "BOB@example.com", "admin"),
	    AS_OK);
	CHECK_INT_EQ(tas_int(tas_ans.doc, "user_id"), bob);
	CHECK_STR_EQ(tas_str(tas_ans.doc, "name"), "Bob");
	CHECK_STR_EQ(tas_str(tas_ans.doc, "role"), "admin");
	CHECK_INT_EQ(ASK(as_member_put, alice, p, "carol@example.com",
	                 "viewer"),
	    AS_OK);
	CHECK_INT_EQ(ASK(as_member_put, alice, p, "nobody@example.com",
	                 "viewer"),
	    AS_NOT_FOUND);
	/* Only an owner manages members; a stranger sees no project. */
	CHECK_INT_EQ(ASK(as_member_put, bob, p, "dave@example.com", "viewer"),
	    AS_FORBIDDEN);
	CHECK_INT_EQ(ASK(as_member_put, dave, p, "dave@example.com", "owner"),
	    AS_NOT_FOUND);
	CHECK_INT_EQ(ASK(as_member_put, alice, p, "dave@example.com", "king"),
	    -1);
	CHECK_STR_EQ(tas_err, "no such role");

	CHECK_INT_EQ(ASK(as_members, carol, p), AS_OK);
	CHECK_INT_EQ(tas_len("members"), 3);
	CHECK_INT_EQ(tas_int(tas_at("members", 0), "user_id"), alice);
	CHECK_STR_EQ(tas_str(tas_at("members", 0), "role"), "owner");
	CHECK_STR_EQ(tas_str(tas_at("members", 0), "email"),
	    "alice@example.com");
	CHECK_STR_EQ(tas_str(tas_at("members", 2), "role"), "viewer");
	CHECK_INT_EQ(ASK(as_members, dave, p), AS_NOT_FOUND);

	CHECK_INT_EQ(ASK(as_project_get, carol, p), AS_OK);
	CHECK_STR_EQ(tas_str(tas_ans.doc, "role"), "viewer");
	CHECK_INT_EQ(tas_int(tas_ans.doc, "members"), 3);

	CHECK_INT_EQ(ASK(as_user_me, bob), AS_OK);
	CHECK_STR_EQ(tas_str(json_object_get(tas_ans.doc, "user"), "name"),
	    "Bob");
	CHECK_INT_EQ(tas_len("projects"), 1);
	CHECK_STR_EQ(tas_str(tas_at("projects", 0), "role"), "admin");
	CHECK_STR_EQ(tas_str(tas_at("projects", 0), "plan"), "free");
}

static void
tas_rename(int64_t p, int64_t bob, int64_t carol, int64_t dave)
{
	CHECK_INT_EQ(ASK(as_project_rename, bob, p, "Shop 2"), AS_OK);
	CHECK_STR_EQ(tas_str(tas_ans.doc, "name"), "Shop 2");
	CHECK_STR_EQ(tas_str(tas_ans.doc, "role"), "admin");
	CHECK_INT_EQ(tas_int(tas_ans.doc, "members"), 3);
	CHECK_INT_EQ(ASK(as_project_rename, carol, p, "Mine"), AS_FORBIDDEN);
	CHECK(tas_ans.doc == NULL);
	CHECK_INT_EQ(ASK(as_project_rename, dave, p, "Mine"), AS_NOT_FOUND);
	CHECK_INT_EQ(ASK(as_project_get, carol, p), AS_OK);
	CHECK_STR_EQ(tas_str(tas_ans.doc, "name"), "Shop 2");
}

/* alice the only owner, bob admin, carol viewer. */
static void
tas_owners(int64_t p, int64_t alice, int64_t bob, int64_t carol, int64_t dave)
{
	CHECK_INT_EQ(ASK(as_member_remove, alice, p, alice), AS_CONFLICT);
	CHECK_INT_EQ(ASK(as_member_put, alice, p, "alice@example.com", "admin"),
	    AS_CONFLICT);
	CHECK_INT_EQ(ASK(as_member_put, alice, p, "bob@example.com", "owner"),
	    AS_OK);
	/* With bob an owner too, alice may step down. */
	CHECK_INT_EQ(ASK(as_member_put, alice, p, "Alice@example.com", "admin"),
	    AS_OK);
	CHECK_STR_EQ(tas_str(tas_ans.doc, "role"), "admin");
	CHECK_INT_EQ(ASK(as_member_put, alice, p, "alice@example.com", "owner"),
	    AS_FORBIDDEN);

	CHECK_INT_EQ(ASK(as_member_remove, carol, p, bob), AS_FORBIDDEN);
	CHECK_INT_EQ(ASK(as_member_remove, dave, p, dave), AS_NOT_FOUND);
	CHECK_INT_EQ(ASK(as_member_remove, bob, p, dave), AS_NOT_FOUND);
	CHECK_INT_EQ(ASK(as_member_remove, bob, p, bob), AS_CONFLICT);
	/* Anyone may leave. */
	CHECK_INT_EQ(ASK(as_member_remove, carol, p, carol), AS_OK);
	CHECK(tas_ans.doc == NULL);
	CHECK_INT_EQ(ASK(as_member_remove, alice, p, alice), AS_OK);
	CHECK_INT_EQ(ASK(as_project_get, carol, p), AS_NOT_FOUND);
	CHECK_INT_EQ(ASK(as_members, bob, p), AS_OK);
	CHECK_INT_EQ(tas_len("members"), 1);
	CHECK_INT_EQ(tas_int(tas_at("members", 0), "user_id"), bob);
}

/* bob the owner; alice back as an admin. */
static void
tas_delete(int64_t p, int64_t alice, int64_t bob, int64_t dave)
{
	CHECK_INT_EQ(ASK(as_member_put, bob, p, "alice@example.com", "admin"),
	    AS_OK);
	CHECK_INT_EQ(ASK(as_project_delete, alice, p), AS_FORBIDDEN);
	CHECK_INT_EQ(ASK(as_project_delete, dave, p), AS_NOT_FOUND);
	CHECK_INT_EQ(ASK(as_project_get, alice, p), AS_OK);
	CHECK_INT_EQ(ASK(as_project_delete, bob, p), AS_OK);
	CHECK(tas_ans.doc == NULL);
	CHECK_INT_EQ(ASK(as_project_get, bob, p), AS_NOT_FOUND);
	CHECK_INT_EQ(ASK(as_project_delete, bob, p), AS_NOT_FOUND);
	CHECK_INT_EQ(ASK(as_projects, alice), AS_OK);
	CHECK_INT_EQ(tas_len("projects"), 0);
}

/* dave's own project: nobody else may see or touch it. */
static void
tas_isolation(int64_t alice, int64_t dave)
{
	int64_t q;

	CHECK_INT_EQ(ASK(as_project_create, dave, "Dave's"), AS_OK);
	q = tas_int(tas_ans.doc, "id");
	CHECK_INT_EQ(ASK(as_project_get, alice, q), AS_NOT_FOUND);
	CHECK_INT_EQ(ASK(as_project_rename, alice, q, "x"), AS_NOT_FOUND);
	CHECK_INT_EQ(ASK(as_project_delete, alice, q), AS_NOT_FOUND);
	CHECK_INT_EQ(ASK(as_members, alice, q), AS_NOT_FOUND);
	CHECK_INT_EQ(ASK(as_member_put, alice, q, "alice@example.com", "owner"),
	    AS_NOT_FOUND);
	CHECK_INT_EQ(ASK(as_member_remove, alice, q, dave), AS_NOT_FOUND);
	CHECK_INT_EQ(ASK(as_project_get, dave, q), AS_OK);
	CHECK_STR_EQ(tas_str(tas_ans.doc, "name"), "Dave's");
	CHECK_INT_EQ(tas_int(tas_ans.doc, "members"), 1);
}

static void
tas_tokens(int64_t alice)
{
	int64_t now = (int64_t)time(NULL);

	CHECK_INT_EQ(ASK(as_token_revoke, "jti-1", now + 3600), AS_OK);
	CHECK(tas_ans.doc == NULL);
	CHECK_INT_EQ(ASK(as_token_revoke, "jti-1", now + 3600), AS_OK);
	CHECK_INT_EQ(ASK(as_token_check, "jti-1", alice), AS_NOT_FOUND);
	CHECK_INT_EQ(ASK(as_token_check, "jti-2", alice), AS_OK);
	CHECK_INT_EQ(ASK(as_token_check, "jti-2", NOBODY), AS_NOT_FOUND);

	CHECK_INT_EQ(ASK(as_token_revoke, "jti-old", now - 10), AS_OK);
	CHECK_INT_EQ(tas_end(as_tokens_prune(tas_pool, tas_on_done, tas_begin(),
	                 &tas_err)),
	    AS_OK);
	CHECK_INT_EQ(tas_int(tas_ans.doc, "deleted"), 1);
	CHECK_INT_EQ(ASK(as_token_check, "jti-1", alice), AS_NOT_FOUND);
	CHECK_INT_EQ(tas_end(as_tokens_prune(tas_pool, tas_on_done, tas_begin(),
	                 &tas_err)),
	    AS_OK);
	CHECK_INT_EQ(tas_int(tas_ans.doc, "deleted"), 0);
}

int
main(int argc, char **argv)
{
	int64_t alice, bob, carol, dave, p;

	if (argc != 2) {
		fprintf(stderr, "usage: test_account_store URL\n");
		return (2);
	}
	/* A lost answer must fail the test, not hang it. */
	alarm(120);
	tas_eb = event_base_new();
	AN(tas_eb);
	tas_connect(argv[1]);

	alice = tas_user("Alice", "alice@example.com");
	bob = tas_user("Bob", "bob@example.com");
	carol = tas_user("Carol", "carol@example.com");
	dave = tas_user("Dave", "dave@example.com");
	tas_users(alice);
	p = tas_project(alice, dave);
	tas_members(p, alice, bob, carol, dave);
	tas_rename(p, bob, carol, dave);
	tas_owners(p, alice, bob, carol, dave);
	tas_delete(p, alice, bob, dave);
	tas_isolation(alice, dave);
	tas_tokens(alice);

	tas_begin();
	pg_pool_free(&tas_pool);
	event_base_free(tas_eb);
	return (unit_done());
}
