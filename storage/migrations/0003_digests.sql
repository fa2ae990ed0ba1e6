-- 0003: digest subscriptions and the outbox that delivers them exactly once.
--
-- A digest is planned in one transaction: its window is claimed (the subscription's
-- `delivered_until` moves to the window's end) and every message it will post is written to the
-- outbox. Messages are then sent in order, each marked sent only once Discord confirmed it. A crash
-- anywhere leaves a run with unsent rows, which the next start completes: no gap, no overlap,
-- no message posted twice (each row has a deterministic nonce that Discord enforces).

CREATE TABLE subscriptions (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,          -- 0: the console
    channel_id      INTEGER NOT NULL,          -- 0: the console
    schedule        TEXT NOT NULL,             -- as given: "daily 08:00", "every 6h", cron...
    timezone        TEXT NOT NULL,             -- IANA name
    regions         TEXT NOT NULL,             -- JSON list of names as given ([] = everywhere)
    actors          TEXT NOT NULL,             -- JSON list of names as given ([] = any actor)
    min_sources     INTEGER NOT NULL CHECK (min_sources >= 1),
    quiet           INTEGER NOT NULL CHECK (quiet IN (0, 1)),  -- 1: an empty window posts nothing
    created_at      TEXT NOT NULL,
    created_by      INTEGER,                   -- Discord user id; NULL when seeded from settings
    delivered_until TEXT,                      -- end of the last planned window; NULL: none yet
    paused_reason   TEXT,                      -- set when the channel refused us (403/404)
    paused_at       TEXT,
    UNIQUE (channel_id, schedule, timezone, regions, actors, min_sources)
) STRICT;

-- "This server's subscriptions" for /digest list.
CREATE INDEX subscriptions_by_guild ON subscriptions (guild_id, id);

CREATE TABLE digest_runs (
    id              INTEGER PRIMARY KEY,
    subscription_id INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    window_start    TEXT NOT NULL,
    window_end      TEXT NOT NULL,
    planned_at      TEXT NOT NULL,
    stories         INTEGER NOT NULL,
    finished_at     TEXT,                      -- every message sent
    UNIQUE (subscription_id, window_start)
) STRICT;

-- "Runs still to complete", read on every start and before planning a new run.
CREATE INDEX digest_runs_unfinished ON digest_runs (subscription_id) WHERE finished_at IS NULL;

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    run_id          INTEGER NOT NULL REFERENCES digest_runs (id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,          -- 0, 1, 2...: the order messages are posted in
    channel_id      INTEGER NOT NULL,
    nonce           TEXT NOT NULL,             -- deterministic, <= 25 characters (Discord's limit)
    content         TEXT NOT NULL,
    attachment_name TEXT,
    attachment      BLOB,                      -- the chart PNG, on the first message only
    attempts        INTEGER NOT NULL DEFAULT 0,
    attempted_at    TEXT,                      -- last time a send was started
    sent_at         TEXT,
    message_id      INTEGER,                   -- Discord's id once it confirmed the message
    UNIQUE (run_id, position)
) STRICT;
