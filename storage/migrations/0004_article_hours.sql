-- 0004: a lower bound on the ids of recent articles, kept by triggers.
--
-- A filtered lookup reads only the ids of its time range from each filter's index (see
-- storage/articles.py). Finding the smallest id of a range with the sort_time index alone
-- means reading every entry of the range: 10 ms for 30 days of a busy server. This table keeps,
-- for each hour of sort_time ('YYYY-MM-DD HH'), an id no larger than that of any article sorted
-- into that hour, so the bound of any range is the minimum over its few hundred hours.
--
-- Why it stays a lower bound: an insert or a changed sort_time lowers the hour's mark to the
-- row's id when that id is smaller. Deleting articles leaves marks that are merely too low (the
-- bound gets a little wider, never wrong); storage/maintenance.py drops the marks of hours
-- before the oldest article.

CREATE TABLE article_hours (
    hour   TEXT PRIMARY KEY,       -- substr(sort_time, 1, 13)
    min_id INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

INSERT INTO article_hours (hour, min_id)
SELECT substr(sort_time, 1, 13), min(id) FROM articles GROUP BY 1;

CREATE TRIGGER article_hours_after_insert AFTER INSERT ON articles BEGIN
    INSERT INTO article_hours (hour, min_id) VALUES (substr(new.sort_time, 1, 13), new.id)
    ON CONFLICT (hour) DO UPDATE SET min_id = min(min_id, excluded.min_id);
END;

CREATE TRIGGER article_hours_after_update AFTER UPDATE OF sort_time, id ON articles BEGIN
    INSERT INTO article_hours (hour, min_id) VALUES (substr(new.sort_time, 1, 13), new.id)
    ON CONFLICT (hour) DO UPDATE SET min_id = min(min_id, excluded.min_id);
END;
