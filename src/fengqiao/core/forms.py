"""Showing a service's refusal on the form that asked for the write."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _


def show_refusal(
    form: Any, error: ValidationError | PermissionDenied, *, aliases: Mapping[str, str] = {}
) -> None:
    """Put a service's refusal on ``form``: each message at the field it names (a service
    field may go by another name on the form: ``aliases``), the rest above the form."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for name, texts in error.message_dict.items():
            field = aliases.get(name, name)
            form.add_error(field if field in form.fields else None, texts)
    elif isinstance(error, ValidationError):
        form.add_error(None, error.messages)
    else:
        form.add_error(None, str(error) or _("您没有权限进行此操作。"))


def refusal_text(error: ValidationError | PermissionDenied) -> str:
    """A service's refusal as one line for a page message."""
    return " ".join(getattr(error, "messages", None) or [str(error) or _("您没有权限进行此操作。")])
