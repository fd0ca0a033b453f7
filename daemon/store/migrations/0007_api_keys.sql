-- API keys for CI/CD act through a user of their own, as GitLab's
-- project access tokens do: each key has a bot user, a member of the
-- key's project and of no other, whose role is what the key's scopes
-- need ('viewer' to read, 'admin' to start jobs or purge).  Every
-- statement bound to the caller (project_members.user_id = $1) then
-- binds a key's calls to its one project, unchanged: another project's
-- rows are not found for it, by construction.  Which routes a key may
-- call at all is the router's (a route's key scope, routes.c).
--
-- A bot has no e-mail and no password, so it can never log in, and
-- nobody can add it to a project by e-mail; the members routes and
-- the owner count look at persons only (account_store.c).

CREATE TYPE user_kind AS ENUM ('person', 'key');

ALTER TABLE users ADD COLUMN kind user_kind NOT NULL DEFAULT 'person';
ALTER TABLE users ALTER COLUMN email DROP NOT NULL;
ALTER TABLE users ADD CONSTRAINT users_kind_login CHECK (
    (kind = 'person' AND email IS NOT NULL)
    OR (kind = 'key' AND email IS NULL AND password_hash IS NULL));

-- The key's user: the key goes with it (ON DELETE CASCADE), and it
-- with the key (api_key_gone below), so that neither outlives the
-- other, whether a project is deleted or a user.
ALTER TABLE api_keys ADD COLUMN user_id bigint UNIQUE
    REFERENCES users (id) ON DELETE CASCADE;
-- As long as a user's name, which a key's user takes from it.
UPDATE api_keys SET name = left(name, 200) WHERE length(name) > 200;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_name_length
    CHECK (length(name) <= 200);

-- No route made keys before this one, but a database may hold some
-- written by hand: each gets its user, a member while not revoked.
DO $$
DECLARE
	k record;
	bot bigint;
BEGIN
	FOR k IN SELECT id, project_id, name, scopes, revoked_at
	    FROM api_keys ORDER BY id LOOP
		INSERT INTO users (kind, name)
		    VALUES ('key', k.name) RETURNING id INTO bot;
		UPDATE api_keys SET user_id = bot WHERE id = k.id;
		IF k.revoked_at IS NULL THEN
			INSERT INTO project_members (project_id, user_id, role)
			    VALUES (k.project_id, bot, CASE
			    WHEN k.scopes <@ ARRAY['read'] THEN 'viewer'
			    ELSE 'admin' END::member_role);
		END IF;
	END LOOP;
END
$$;

ALTER TABLE api_keys ALTER COLUMN user_id SET NOT NULL;

CREATE FUNCTION api_key_gone() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM users WHERE id = OLD.user_id AND kind = 'key';
	RETURN OLD;
END
$$;

CREATE TRIGGER api_keys_take_their_user
    AFTER DELETE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION api_key_gone();

-- A bot is a member of its key's project only, whatever statement
-- would make it another's: checked at the end of the statement, when
-- the key that a key's creation inserts beside the membership is there.
CREATE FUNCTION project_member_bot_of_its_project() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF EXISTS (SELECT 1 FROM users WHERE id = NEW.user_id
	    AND kind = 'key') AND NOT EXISTS (SELECT 1 FROM api_keys
	    WHERE user_id = NEW.user_id AND project_id = NEW.project_id
	    AND revoked_at IS NULL) THEN
		RAISE EXCEPTION 'user % is a key of another project',
		    NEW.user_id USING ERRCODE = 'check_violation';
	END IF;
	RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER project_members_bot_of_its_project
    AFTER INSERT OR UPDATE ON project_members
    FOR EACH ROW EXECUTE FUNCTION project_member_bot_of_its_project();
