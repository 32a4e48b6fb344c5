"""Crawl every page of every demo account, as each of them would click through it.

Two promises are checked on every answer:

- no full personal identifier (身份证号, phone) stored anywhere in the database appears in
  a page, a fragment or an export: the unmasked value is shown only by the audited reveal,
  which is a POST with a reason and so is never reached by following links;
- no link or button a user is shown leads him to a page he may not open (403, 404) or to a
  server error.

The crawl follows every same-site ``href``, ``hx-get`` and GET form ``action`` breadth
first, from the home page and the navigation. Pages of one shape (the same path with other
record codes, the same list with another filter) are visited up to ``PER_SHAPE`` times:
every page kind and every record kind is reached, while a list with 40 filters does not
multiply the crawl by 40."""

from __future__ import annotations

import re
import time
from collections import defaultdict, deque
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
from django.apps import apps
from django.test import Client

from fengqiao.accounts.models import User
from fengqiao.demo.services import load_demo

PER_SHAPE = 2  # distinct URLs of one shape per account
# Documents take a second each to make and are compressed (their masking has its own
# tests): one of each kind per account proves the link opens.
DOCUMENTS = (".pdf", ".xlsx", ".csv", ".zip")
MAX_PAGES = 400  # per account: a runaway crawl fails loudly instead of running for an hour
IDENTIFIER_KINDS = {"id_number", "phone"}
# Links that act rather than show, or leave the HTML pages: not followed.
NOT_FOLLOWED = (
    "/accounts/logout",
    "/i18n/",
    "/static/",
    "/media/",
    "/api/",
    "/admin/",
)
BINARY = ("application/pdf", "image/", "application/zip", "application/vnd.openxml")


class _Links(HTMLParser):
    """Every URL a page offers to GET: links, htmx GETs and the actions of GET forms."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("href", "hx-get"):
            if values.get(name):
                self.urls.append(values[name] or "")
        if tag == "form" and (values.get("method") or "get").lower() == "get":
            self.urls.append(values.get("action") or "")


def stored_identifiers() -> dict[str, str]:
    """Every full ID number and phone the database holds, with where it is from."""
    found: dict[str, str] = {}
    for model in apps.get_models():
        personal = getattr(model, "PERSONAL_FIELDS", None) or {}
        fields = [name for name, kind in personal.items() if kind in IDENTIFIER_KINDS]
        if not fields:
            continue
        for row in model.objects.values("pk", *fields):
            for name in fields:
                value = (row[name] or "").strip()
                if len(value) >= 7:  # shorter values are masked whole anyway
                    found.setdefault(value, f"{model.__name__}#{row['pk']}.{name}")
    return found


def _shape(path: str, query: str) -> str:
    """A URL's shape: digits and record codes folded, query keys kept, values dropped."""
    folded = re.sub(r"/[^/]*\d[^/]*(?=/|$)", "/<x>", path)
    keys = sorted({key for key, _value in parse_qsl(query, keep_blank_values=True)})
    return folded + ("?" + "&".join(keys) if keys else "")


def _normalise(base: str, link: str) -> str | None:
    link = (link or "").strip()
    if not link or link.startswith(("#", "mailto:", "tel:", "javascript:", "data:")):
        return None
    absolute = urljoin(base, link)
    parts = urlsplit(absolute)
    if parts.netloc and parts.netloc not in ("testserver", ""):
        return None
    if parts.path.startswith(NOT_FOLLOWED):
        return None
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return parts.path + ("?" + query if query else "")


def crawl(client: Client, identifiers: dict[str, str], start: list[str]) -> tuple[int, list[str]]:
    """Visit what ``client`` is offered; return the number of pages and the failures."""
    failures: list[str] = []
    seen: set[str] = set()
    per_shape: dict[str, int] = defaultdict(int)
    queue: deque[tuple[str, str]] = deque((url, "(start)") for url in start)
    pages = 0
    pattern = re.compile("|".join(re.escape(value) for value in identifiers))
    while queue:
        url, referrer = queue.popleft()
        if url in seen:
            continue
        parts = urlsplit(url)
        shape = _shape(parts.path, parts.query)
        if per_shape[shape] >= (1 if parts.path.endswith(DOCUMENTS) else PER_SHAPE):
            continue
        seen.add(url)
        per_shape[shape] += 1
        pages += 1
        if pages > MAX_PAGES:
            failures.append(f"more than {MAX_PAGES} pages: the crawl is not bounded")
            break
        response = client.get(url)
        status = response.status_code
        if status in (301, 302, 303, 307, 308):
            target = _normalise(url, response["Location"])
            if target:
                queue.appendleft((target, referrer))
            continue
        if status >= 400:
            failures.append(f"{status} {url} (linked from {referrer})")
            continue
        content_type = response.get("Content-Type", "")
        if content_type.startswith(BINARY):
            continue  # PDFs and spreadsheets are compressed; their masking has its own tests
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = body.decode("utf-8", "replace")
        for match in set(pattern.findall(text)):
            failures.append(f"full identifier {identifiers[match]} shown at {url}")
        if "html" not in content_type:
            continue
        parser = _Links()
        parser.feed(text)
        for link in parser.urls:
            target = _normalise(url, link)
            if target and target not in seen:
                queue.append((target, url))
    return pages, failures


@pytest.fixture
def demo(db):
    load_demo()
    return User.objects.filter(is_active=True).order_by("role", "username")


def _accounts(users):
    """The first account of every role: what a page shows and links differs by role;
    that other stations' records stay out is proved by tests/test_scoping.py."""
    picked: dict[str, User] = {}
    for user in users.order_by("pk"):
        picked.setdefault(user.role, user)
    return list(picked.values())


def test_no_page_shows_a_full_identifier_or_links_to_a_refused_page(demo, capsys):
    identifiers = stored_identifiers()
    assert len(identifiers) > 50  # the demo holds people, staff, parties, reporters…
    failures: list[str] = []
    started = time.monotonic()
    total = 0
    for user in _accounts(demo):
        client = Client()
        client.force_login(user)
        pages, found = crawl(client, identifiers, ["/"])
        total += pages
        failures += [f"{user.username} ({user.get_role_display()}): {line}" for line in found]
    anonymous_pages, found = crawl(Client(), identifiers, ["/", "/track/"])
    failures += [f"anonymous: {line}" for line in found]
    with capsys.disabled():
        seconds = time.monotonic() - started
        pages = total + anonymous_pages
        print(f"\n{len(_accounts(demo))} accounts; crawled {pages} pages in {seconds:.0f} s")
    assert not failures, "\n".join(failures)
