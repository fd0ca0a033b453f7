-- Accounts for the hosted API (stoked serve): users with a name, the
-- tokens revoked before they expire, and what an API key may do.
--
-- A login token (a JWT) is checked on every request by every replica,
-- so one revoked at logout must be known to all of them: its id (jti)
-- is kept here until the token would have expired anyway, then pruned
-- along expires_at.

ALTER TABLE users ADD COLUMN name text NOT NULL DEFAULT ''
    CHECK (length(name) <= 200);
-- Only the shape: exactly one '@' with something either side, and no
-- longer than an address can be (RFC 5321).  Whether it is deliverable
-- is for a confirmation mail to find out.
ALTER TABLE users ADD CONSTRAINT users_email_shape
    CHECK (length(email) <= 254 AND email ~ '^[^@]+@[^@]+$');

CREATE TABLE revoked_tokens (
	jti text PRIMARY KEY,
	expires_at timestamptz NOT NULL
);
CREATE INDEX revoked_tokens_expires ON revoked_tokens (expires_at);

-- What a key may do: read, start jobs, purge.  Not used yet; keys made
-- before this can read only.
ALTER TABLE api_keys ADD COLUMN scopes text[] NOT NULL DEFAULT '{read}'
    CHECK (scopes <@ ARRAY['read', 'jobs', 'purge']);

-- A project always keeps an owner.  The statements that remove or
-- demote a member check this themselves, but two owners removing each
-- other at once would each see the other still there; so here each
-- such change first locks the project's row and then counts the owners
-- left, seeing what the other committed.  A project being deleted is
-- already gone and its members may go.  A user who is the last owner
-- of a project cannot be deleted before the project is.
CREATE FUNCTION project_keeps_an_owner() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	demoted boolean := true;
BEGIN
	IF TG_OP = 'UPDATE' THEN
		demoted := NEW.role <> 'owner';
	END IF;
	IF OLD.role = 'owner' AND demoted THEN
		PERFORM 1 FROM projects WHERE id = OLD.project_id
		    FOR NO KEY UPDATE;
		IF FOUND AND NOT EXISTS (SELECT 1 FROM project_members
		    WHERE project_id = OLD.project_id AND role = 'owner'
		    AND user_id <> OLD.user_id) THEN
			RAISE EXCEPTION 'project % would have no owner',
			    OLD.project_id
			    USING ERRCODE = 'integrity_constraint_violation';
		END IF;
	END IF;
	IF TG_OP = 'DELETE' THEN
		RETURN OLD;
	END IF;
	RETURN NEW;
END
$$;

CREATE TRIGGER project_members_keep_owner
    BEFORE UPDATE OF role OR DELETE ON project_members
    FOR EACH ROW EXECUTE FUNCTION project_keeps_an_owner();
