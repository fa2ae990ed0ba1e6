"""Digests: when they run, what they cover, which articles are one story, and what comes first.

Pure logic only (no I/O): every function takes the current time as `now` where it needs one.

* `schedule`: parse what an admin types ("daily 08:00", "every 6h", cron) into APScheduler triggers.
* `window`: the stretch of time a digest covers, and whether a run was missed during downtime.
* `cluster`: merge articles from different outlets that report the same event into one `Story`.
* `rank`: a documented, configurable importance score for stories.
* `model`: the frozen records they share (`DigestArticle`, `Story`).

Import from the modules themselves; re-exporting `cluster()` here would hide the `cluster` module.
"""
