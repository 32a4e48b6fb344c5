"""Where the current request comes from, for the audit log's "from where"."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestOrigin:
    ip_address: str | None = None
    user_agent: str = ""
    path: str = ""


COMMAND_LINE = RequestOrigin(user_agent="fengqiao command line")
current_origin: ContextVar[RequestOrigin] = ContextVar("current_origin", default=COMMAND_LINE)
