-- 0006: each stored story summed up, kept by triggers, so that a digest reads one row per story.
--
-- A digest of a busy day read 20,000 article rows and summed them up per story in Python (about
-- half of its build time). For the stories whose articles all arrived inside its window, the
-- sums here are the same numbers: a digest reads them, and sums up per article only the stories
-- that straddle its window's edges, the unplaced articles, and filtered digests.
--
-- Triggers keep the sums: every write to an article's story, tags, headline facts, times or
-- backlog flag, and every delete (prune, feed removal), sums its old and new story again from
-- the articles table. So placement, `retag`, `db prune` and any future writer keep them right.
-- Outlets are stored as feed ids, not names: a feed's name is read when the digest is built.
-- Per-article lists keep one entry per article, in no particular order: what reads them
-- (distinct outlets, distinct actors, locations by support) does not depend on the order.

CREATE TABLE story_sums (
    story_id        INTEGER PRIMARY KEY,  -- articles.story_id
    articles        INTEGER NOT NULL,
    first_id        INTEGER NOT NULL,     -- the smallest article id
    first_seen      TEXT NOT NULL,        -- arrival of the first and the last article: digest
    last_seen       TEXT NOT NULL,        -- windows are by arrival
    feeds           TEXT NOT NULL,        -- each article's feed id, space-separated
    actors          TEXT NOT NULL,        -- each article's digest_actors, space-separated
    actor_weight    REAL NOT NULL,        -- the strongest of the articles'
    severity        REAL NOT NULL,        -- the most severe headline's points
    dead            INTEGER NOT NULL,     -- the most dead a headline reports
    first           TEXT NOT NULL,        -- sort times: when the story broke, when last told
    latest          TEXT NOT NULL,
    location_weight REAL NOT NULL,
    locations       TEXT NOT NULL         -- each article's digest_locations, joined by '|'
) STRICT;

CREATE INDEX story_sums_by_first_seen ON story_sums (first_seen);

CREATE VIEW story_sums_now AS
SELECT story_id, count(*), min(id), min(first_seen), max(first_seen), group_concat(feed_id, ' '),
       group_concat(coalesce(digest_actors, ''), ' '), max(coalesce(digest_actor_weight, 0)),
       max(coalesce(severity, 0)), max(coalesce(dead, 0)), min(sort_time), max(sort_time),
       max(coalesce(digest_location_weight, 0)), group_concat(coalesce(digest_locations, ''), '|')
FROM articles WHERE story_id IS NOT NULL AND backlog = 0 GROUP BY story_id;

CREATE TRIGGER story_sums_after_insert AFTER INSERT ON articles
WHEN new.story_id IS NOT NULL
BEGIN
    DELETE FROM story_sums WHERE story_id = new.story_id;
    INSERT INTO story_sums SELECT * FROM story_sums_now WHERE story_id = new.story_id;
END;

CREATE TRIGGER story_sums_after_update AFTER UPDATE OF
    story_id, backlog, feed_id, first_seen, sort_time, severity, dead,
    digest_locations, digest_location_weight, digest_actors, digest_actor_weight
ON articles
WHEN old.story_id IS NOT NULL OR new.story_id IS NOT NULL
BEGIN
    DELETE FROM story_sums WHERE story_id IN (old.story_id, new.story_id);
    INSERT INTO story_sums
    SELECT * FROM story_sums_now WHERE story_id IN (old.story_id, new.story_id);
END;

CREATE TRIGGER story_sums_after_delete AFTER DELETE ON articles
WHEN old.story_id IS NOT NULL
BEGIN
    DELETE FROM story_sums WHERE story_id = old.story_id;
    INSERT INTO story_sums SELECT * FROM story_sums_now WHERE story_id = old.story_id;
END;

INSERT INTO story_sums SELECT * FROM story_sums_now;
