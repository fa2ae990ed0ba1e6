-- 0002: tags. Each article's countries (with their role) and actors, with the evidence and
-- weight the tagger gave, so lookups can rank and the bot can say why an article was tagged.
-- Regions are not stored: they are derived from country codes through the user-editable
-- taxonomy, so redefining a region needs no re-tagging.

CREATE TABLE article_countries (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    code       TEXT NOT NULL,                  -- ISO 3166-1 alpha-2
    role       TEXT NOT NULL CHECK (role IN ('location', 'mention')),
    weight     REAL NOT NULL,
    evidence   TEXT NOT NULL,                  -- JSON: [{"text", "field", "start"}, ...]
    PRIMARY KEY (article_id, code)
) STRICT, WITHOUT ROWID;

-- "Articles located in these countries": the lookup and digest question.
CREATE INDEX article_countries_by_code ON article_countries (code, role, article_id);

CREATE TABLE article_actors (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    actor_id   TEXT NOT NULL,                  -- stable id from config/actors.toml
    weight     REAL NOT NULL,
    evidence   TEXT NOT NULL,
    PRIMARY KEY (article_id, actor_id)
) STRICT, WITHOUT ROWID;

-- "Articles naming these actors".
CREATE INDEX article_actors_by_actor ON article_actors (actor_id, article_id);

-- Which taxonomy version tagged the article (NULL: never tagged); `retag` uses it to resume.
ALTER TABLE articles ADD COLUMN tagged_with TEXT;
