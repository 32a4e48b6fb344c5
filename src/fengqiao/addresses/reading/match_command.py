"""`fengqiao addresses match`: free-text addresses, one per line, against a registry.

One JSON object per input line, in input order:
``{"query": …, "matches": [{"code", "score", "confident"}, …]}`` (best first, at most 5,
``[]`` when nothing is plausible); a line that cannot be read as text gets
``{"line": N, "query": null, "matches": [], "error": …}`` instead. The command fails (a
:class:`ReadError`) only when the input or the registry cannot be read at all.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from fengqiao.addresses.reading.matcher import Entry, Matcher

MAX_LINE = 1000  # characters: longer is not an address (a pasted document)
BATCH = 2000  # lines matched together (the batch path), output still line by line


class ReadError(Exception):
    """The input or the registry cannot be read: the command's exit code says so."""


def registry_from_csv(path: str) -> list[Entry]:
    """Entries of a CSV with the header ``code,text`` (other columns ignored)."""
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise ReadError(f"cannot read the registry {path}: {error.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ReadError(f"the registry {path} is not UTF-8 text") from None
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not {"code", "text"} <= {f.strip() for f in reader.fieldnames}:
        raise ReadError(f"the registry {path} needs the header code,text")
    entries = []
    for row in reader:
        row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        if row.get("code") and row.get("text"):
            entries.append(Entry(row["code"], row["text"]))
    if not entries:
        raise ReadError(f"the registry {path} has no rows with a code and a text")
    return entries


def read_lines(stream: IO[bytes]) -> Iterator[tuple[int, str | None, str]]:
    """(line number, text or None, error) for each line of a byte stream."""
    for number, raw in enumerate(stream, 1):
        raw = raw.rstrip(b"\r\n")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            yield number, None, "not UTF-8 text"
            continue
        if number == 1:
            text = text.removeprefix("\ufeff")
        if "\x00" in text:
            yield number, None, "binary data, not text"
        else:
            yield number, text, ""


def results(matcher: Matcher, lines: Iterable[tuple[int, str | None, str]]) -> Iterator[Any]:
    """The JSON objects of the module docstring, in input order."""
    batch: list[tuple[int, str | None, str]] = []
    for item in lines:
        batch.append(item)
        if len(batch) >= BATCH:
            yield from _results(matcher, batch)
            batch = []
    yield from _results(matcher, batch)


def _results(matcher: Matcher, batch: list[tuple[int, str | None, str]]) -> Iterator[Any]:
    texts = [t.strip() for _n, t, _e in batch if t is not None and 0 < len(t) <= MAX_LINE]
    found = iter(matcher.match_many(texts, explain=False) if texts else [])
    for number, text, error in batch:
        if text is None:
            yield {"line": number, "query": None, "matches": [], "error": error}
        elif len(text) > MAX_LINE:
            yield {
                "line": number,
                "query": text[:50] + "…",
                "matches": [],
                "error": f"longer than {MAX_LINE} characters, not an address",
            }
        elif not text.strip():
            yield {"query": text, "matches": []}
        else:
            yield {
                "query": text,
                "matches": [
                    {"code": c.code, "score": c.score, "confident": c.confident}
                    for c in next(found)
                ],
            }


def run(matcher: Matcher, stream: IO[bytes], out: IO[str]) -> None:
    for obj in results(matcher, read_lines(stream)):
        out.write(json.dumps(obj, ensure_ascii=False) + "\n")
