"""Every template keeps to the Content Security Policy (``style-src 'self'``, ``script-src
'self'``): an inline style, script or event handler is blocked in the browser, so the
page looks or works differently from what the template says (a progress bar drawn at its
default width, a button that does nothing)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

# Template files only: no database.
pytestmark = pytest.mark.once

SOURCE = Path(__file__).resolve().parents[1] / "src" / "fengqiao"
TEMPLATES = sorted(SOURCE.rglob("templates/**/*.html"))
BLOCKED = re.compile(r"""\sstyle=["']|\son[a-z]+=["']|<script(?![^>]*\ssrc=)[^>]*>|<style[\s>]""")


def test_there_are_templates_to_check():
    assert len(TEMPLATES) > 50


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(SOURCE)))
def test_no_template_holds_what_the_csp_blocks(path):
    found = [m.group(0).strip() for m in BLOCKED.finditer(path.read_text(encoding="utf-8"))]
    assert found == [], f"{path.name}: {found} (use a class in app.css or app.js instead)"
