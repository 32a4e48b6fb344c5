"""One rule for control characters in text that people and systems send: refused.

A NUL byte cannot be stored in PostgreSQL's text (SQLite would keep it), and no person
means any C0 control character other than tab, line feed and carriage return, nor DEL.
Query parameters and JSON bodies are refused here, before any view runs, with the
parameter or field named: 400 on a page, 422 in the API's error shape. Posted forms are
refused by their fields (Django's CharField refuses NUL), so the page comes back with the
error beside the field and the rest of the input kept."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def has_control(text: str) -> bool:
    return CONTROL.search(text) is not None


def _json_strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every string in a JSON document (keys too) with its path: ``items.3.description``."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            yield here, str(key)
            yield from _json_strings(item, here)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _json_strings(item, f"{path}.{index}" if path else str(index))


def offending_fields(request: HttpRequest) -> list[str]:
    """The query parameters and JSON fields whose text has a control character."""
    found = [
        key
        for key, value in request.GET.lists()
        if has_control(key) or any(map(has_control, value))
    ]
    if request.method in {"POST", "PUT", "PATCH"} and request.content_type == "application/json":
        body = request.body
        # Only a \u escape (which may spell one) or a raw control byte needs the parse.
        if b"\\u00" in body or CONTROL.search(body.decode("utf-8", "replace")):
            try:
                document = json.loads(body)
            except ValueError:
                return found  # malformed JSON: the API says so itself
            found += [path for path, text in _json_strings(document, "") if has_control(text)]
    return found


class RefuseControlCharactersMiddleware:
    """Refuse a request whose text carries control characters, naming where."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        fields = offending_fields(request)
        if not fields:
            return self.get_response(request)
        reason = _("文字中含有控制字符（如空字符），无法保存或查询：%(fields)s。请删除后重试。") % {
            "fields": ", ".join(fields[:10])
        }
        if request.path.startswith("/api/"):
            errors = {field: [reason] for field in fields}
            return JsonResponse({"detail": reason, "errors": errors}, status=422)
        return render(request, "400.html", {"reason": reason}, status=400)
