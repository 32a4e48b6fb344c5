"""Chinese first, English complete."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.urls import reverse

LOCALE = Path(__file__).resolve().parent.parent / "src" / "fengqiao" / "locale"
PO = LOCALE / "en" / "LC_MESSAGES" / "django.po"


def test_english_catalogue_is_complete():
    catalogue = polib.pofile(str(PO))
    assert catalogue.percent_translated() == 100
    assert not catalogue.fuzzy_entries()
    assert not [e.msgid for e in catalogue if e.msgid_plural and not all(e.msgstr_plural.values())]


def test_compiled_catalogue_matches_the_source():
    compiled = {
        (e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural
        for e in polib.mofile(str(PO.with_suffix(".mo")))
    }
    source = {
        (e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural
        for e in polib.pofile(str(PO))
        if not e.obsolete
    }
    assert compiled == source, "run: ./fq manage compilemessages"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")
def test_every_string_in_the_code_is_in_the_catalogue(tmp_path):
    """makemessages on a copy of the package finds no msgid the catalogue lacks."""
    package = Path(__file__).resolve().parent.parent / "src" / "fengqiao"
    copy = tmp_path / "fengqiao"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("static", "__pycache__"))
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "en", "--no-obsolete"],
        cwd=copy, check=True, capture_output=True,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "", "HOME": str(tmp_path)},
    )  # fmt: skip
    fresh = {e.msgid for e in polib.pofile(str(copy / "locale/en/LC_MESSAGES/django.po"))}
    known = {e.msgid for e in polib.pofile(str(PO))}
    assert fresh - known == set(), "run: ./fq manage makemessages -l en, then translate"


def test_chinese_by_default_even_for_an_english_browser(client, world):
    client.force_login(world.a["station_chief"])
    page = client.get(reverse("dashboards:home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="zh-hans">' in page.content.decode()
    assert "首页" in page.content.decode()


def test_switching_to_english_sticks(client, world):
    client.force_login(world.a["station_chief"])
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("dashboards:home")).content.decode()
    assert '<html lang="en">' in page and "Station chief" in page and "首页" not in page
