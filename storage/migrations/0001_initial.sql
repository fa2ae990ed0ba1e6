-- 0001: feeds, articles and their full-text index.
-- Timestamps are UTC text 'YYYY-MM-DD HH:MM:SS.ffffff' (fixed width, so text order is time order).
-- Tags and digest deliveries arrive in later migrations; they reference articles(id).

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE feeds (
    id              INTEGER PRIMARY KEY,
    url             TEXT NOT NULL UNIQUE,
    name            TEXT,              -- given by a person; wins over the feed's own title
    title           TEXT,              -- the feed's own title, refreshed on each parse
    site_url        TEXT,
    etag            TEXT,
    last_modified   TEXT,
    added_at        TEXT NOT NULL,
    last_checked    TEXT,
    last_updated    TEXT,              -- last fetch whose body we parsed; NULL until the first one
    next_check      TEXT NOT NULL,
    error_count     INTEGER NOT NULL DEFAULT 0,  -- consecutive failures
    last_error      TEXT,
    disabled_reason TEXT               -- NULL while the feed is polled
) STRICT;

-- The poller's question: which enabled feeds are due now?
CREATE INDEX feeds_due ON feeds (next_check) WHERE disabled_reason IS NULL;

CREATE TABLE articles (
    id           INTEGER PRIMARY KEY,
    feed_id      INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    entry_key    TEXT NOT NULL,        -- identity inside the feed (guid, or guid + link)
    guid         TEXT,
    url          TEXT,                 -- canonical URL; one article per URL across all feeds
    title        TEXT NOT NULL,
    summary      TEXT NOT NULL,        -- plain text
    published    TEXT,                 -- NULL when the feed gave no usable date
    first_seen   TEXT NOT NULL,
    sort_time    TEXT NOT NULL,        -- published, else first_seen: what lists order by
    content_hash TEXT NOT NULL,
    backlog      INTEGER NOT NULL DEFAULT 0,  -- stored by a feed's first poll: never announced
    UNIQUE (feed_id, entry_key)
) STRICT;

-- Cross-feed de-duplication: the same story URL from two feeds is stored once.
CREATE UNIQUE INDEX articles_unique_url ON articles (url) WHERE url IS NOT NULL;
-- Newest-first listings and "since 24h" lookups.
CREATE INDEX articles_by_sort_time ON articles (sort_time);
-- Digest windows select what arrived between two instants.
CREATE INDEX articles_by_first_seen ON articles (first_seen);

CREATE VIRTUAL TABLE articles_fts USING fts5 (
    title, summary,
    content = 'articles', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER articles_fts_after_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts (rowid, title, summary) VALUES (new.id, new.title, new.summary);
END;

CREATE TRIGGER articles_fts_after_delete AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, summary)
    VALUES ('delete', old.id, old.title, old.summary);
END;

CREATE TRIGGER articles_fts_after_update AFTER UPDATE OF title, summary ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, summary)
    VALUES ('delete', old.id, old.title, old.summary);
    INSERT INTO articles_fts (rowid, title, summary) VALUES (new.id, new.title, new.summary);
END;
