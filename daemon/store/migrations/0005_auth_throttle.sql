-- Failed logins and sign-ups, counted where every replica of stoked
-- serve sees them: a password guesser spread over the replicas behind a
-- load balancer meets one count.  A row is a key of a kind (the client
-- address of the auth routes, the e-mail of a login): its failures in
-- the current window, which started at window_start, and, once they
-- reached the policy's limit, when the lock ends.  The policy itself
-- (limits, windows, lock lengths) is the daemon's (api/api_limits.c),
-- given to each statement.  Rows whose window and lock are over are
-- pruned along window_start.

CREATE TABLE auth_throttle (
	kind text NOT NULL,
	key text NOT NULL,
	window_start timestamptz NOT NULL DEFAULT now(),
	failures integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
	locked_until timestamptz,
	PRIMARY KEY (kind, key)
);
CREATE INDEX auth_throttle_window ON auth_throttle (window_start);
