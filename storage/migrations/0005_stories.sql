-- 0005: stories kept as articles arrive, and what a digest reads of each article in one row.
--
-- A digest used to cluster its whole window (seconds for a busy day) and read every article's
-- tags through subqueries. Now bot/digest/placement.py places each new article in a story once,
-- after it is stored, and a digest groups its window by story_id. Articles stored before this
-- migration, or not placed yet, have a NULL story_id: a digest clusters those itself.

-- The id of the story's first article; NULL until placed. A merge of two stories moves the
-- larger id's articles to the smaller id.
ALTER TABLE articles ADD COLUMN story_id INTEGER;
-- What ranking reads of the headline (bot/digest/rank.py), computed when the article is placed:
-- its severity points with the default terms, and the dead it reports.
ALTER TABLE articles ADD COLUMN severity REAL;
ALTER TABLE articles ADD COLUMN dead INTEGER;
-- The tags a digest needs, written with the tags (storage/tags.py): location country codes and
-- actor ids, space-separated, strongest first, and the strongest weight of each. Plain columns,
-- not JSON: a digest reads 20,000 of them. NULL for articles tagged before this migration.
ALTER TABLE articles ADD COLUMN digest_locations TEXT;
ALTER TABLE articles ADD COLUMN digest_location_weight REAL;
ALTER TABLE articles ADD COLUMN digest_actors TEXT;
ALTER TABLE articles ADD COLUMN digest_actor_weight REAL;

-- The articles of the stories a digest shows are read by story.
CREATE INDEX articles_by_story ON articles (story_id) WHERE story_id IS NOT NULL;

-- How far placement has got: every article with an id up to `placed_through` has been
-- considered. Articles already stored count as considered: placing a whole history would take
-- minutes, and digests cluster the few unplaced ones they meet.
CREATE TABLE story_cursor (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    placed_through INTEGER NOT NULL
) STRICT;

INSERT INTO story_cursor (id, placed_through) SELECT 1, coalesce(max(id), 0) FROM articles;
