"""Tagging through the command line and the pipeline: `tag`, `tag --jsonl`, `retag`, and tags
stored with fetched articles."""

from __future__ import annotations

import asyncio
import io
import json
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest

import main
from tests.conftest import point_settings_at
from tests.feedserver import FeedServer

ROOT = Path(__file__).resolve().parents[1]
HEADLINE = "Kataib Hezbollah claims drone strike near Erbil"
BODY = "The Iranian-backed militia, part of the Popular Mobilization Forces, hit a base in Iraq."


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    return point_settings_at(monkeypatch, tmp_path, "", SITREP_FETCH_ALLOW_PRIVATE_ADDRESSES="1")


def run(*argv: str, stdin: str | None = None, monkeypatch=None) -> tuple[int, str]:
    out = io.StringIO()
    if stdin is not None and monkeypatch is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return main.main(list(argv), out=out), out.getvalue()


def test_tag_text_shows_evidence(env) -> None:
    code, out = run("tag", HEADLINE, "--summary", BODY)
    assert code == 0
    assert "Iraq (IQ" in out and "location" in out and '"Erbil"' in out
    assert "kataib-hezbollah" in out


def test_tag_jsonl_keeps_order_and_reports_bad_lines(env, monkeypatch) -> None:
    lines = [
        json.dumps({"id": "a", "title": HEADLINE, "summary": f"<p>{BODY}</p>"}),
        "{not json",
        json.dumps({"id": 7, "title": "Talks in Doha", "summary": ""}),
        json.dumps(["not", "an", "object"]),
    ]
    code, out = run("tag", "--jsonl", stdin="\n".join(lines) + "\n", monkeypatch=monkeypatch)
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(records) == 4
    first, bad, second, wrong = records
    assert first["id"] == "a"
    assert {"code", "name", "region", "role", "evidence"} <= first["countries"][0].keys()
    assert "IQ" in {c["code"] for c in first["countries"] if c["role"] == "location"}
    actor = next(a for a in first["actors"] if a["id"] == "kataib-hezbollah")
    assert {"id", "name", "aliases", "kind", "countries", "evidence"} <= actor.keys()
    assert "error" in bad and "line 2" in bad["error"]
    assert second["id"] == 7 and "QA" in {c["code"] for c in second["countries"]}
    assert "error" in wrong and "line 4" in wrong["error"]


def test_tag_jsonl_decodes_markup_once(env, monkeypatch) -> None:
    """An escaped tag in the summary is text ("&lt;b&gt;"): decoded once it reads "<b>", and is
    not then read as markup; evidence offsets point into the text once cleaned."""
    summary = "<p>Shelling in &amp;lt;b&amp;gt;Mosul&amp;lt;/b&amp;gt; &amp; Kirkuk</p>"
    line = json.dumps({"id": 1, "title": "", "summary": summary})
    code, out = run("tag", "--jsonl", stdin=line + "\n", monkeypatch=monkeypatch)
    record = json.loads(out)
    cleaned = "Shelling in &lt;b&gt;Mosul&lt;/b&gt; & Kirkuk"
    evidence = [e for c in record["countries"] for e in c["evidence"]]
    assert code == 0 and {e["text"] for e in evidence} == {"Mosul", "Kirkuk"}
    for item in evidence:
        assert cleaned[item["start"] : item["start"] + len(item["text"])] == item["text"]


async def _cli(*argv: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "main.py", *argv, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def _rss(title: str, body: str) -> bytes:
    return (
        '<rss version="2.0"><channel><title>Wire</title><item><guid>1</guid>'
        f"<title>{title}</title><link>https://wire.example/1</link>"
        f"<description>{body}</description></item></channel></rss>"
    ).encode()


async def test_fetched_articles_are_tagged_and_retag_follows_edits(
    env, feed_server: FeedServer, tmp_path: Path, monkeypatch
) -> None:
    feed_server.feeds["w"] = _rss(HEADLINE, BODY)
    code, _out, err = await _cli("feeds", "add", feed_server.url("feed/w"))
    assert code == 0, err
    db = sqlite3.connect(env["SITREP_STORAGE_PATH"])
    rows = db.execute("SELECT code, role FROM article_countries").fetchall()
    assert ("IQ", "location") in rows
    actors = {row[0] for row in db.execute("SELECT actor_id FROM article_actors")}
    assert "kataib-hezbollah" in actors

    # Edit the taxonomy in a copy: the stored tags become stale and retag refreshes them.
    taxonomy = tmp_path / "taxonomy"
    taxonomy.mkdir()
    for name in ("regions.toml", "places.toml", "actors.toml"):
        shutil.copy(ROOT / "config" / name, taxonomy / name)
    actors_file = taxonomy / "actors.toml"
    actors_file.write_text(actors_file.read_text() + "\n# an edit\n")
    monkeypatch.setenv("SITREP_TAXONOMY_PATH", str(taxonomy))
    code, out, err = await _cli("retag")
    assert code == 0, err
    assert "Re-tagged 1 articles" in out
    code, out, _ = await _cli("retag")
    assert "Every article is tagged" in out
