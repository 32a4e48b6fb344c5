"""Counting attempts in Django's cache, to make guessing slow.

The public tracking page (:mod:`fengqiao.portal.views`) limits failed lookups per
client address and per tracking code, so one code cannot be brute-forced from many
addresses either; reporters' additions are limited per incident so a proven visitor
cannot fill the disk.

The counters live in the *default* cache. Fengqiao's settings configure none, so that
is Django's ``LocMemCache``: one per process, shared by the threads of that process.
That is exact for the local mode (``fengqiao serve`` is one waitress process with
threads) but not for a production deployment with several processes or machines: each
would count on its own, multiplying the limits. Such a deployment must configure a
shared cache, e.g. ``django.core.cache.backends.db.DatabaseCache`` (then run
``manage.py createcachetable``) or Redis.

Each limit is a window that opens with the first attempt and lasts ``window`` seconds;
the window's end is kept in its own key and every write re-applies the remaining time,
because some backends (the database cache) reset a key's timeout on ``incr``. Counters
are keyed by an HMAC of the subject, so neither addresses nor codes sit in the cache in
clear."""

from __future__ import annotations

import ipaddress
import math
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.utils.crypto import salted_hmac

_SALT = "fengqiao.incidents.ratelimit"


@dataclass(frozen=True)
class Limit:
    """At most ``attempts`` within ``window`` seconds of the first one."""

    name: str
    attempts: int
    window: int


TRACK_BY_CLIENT = Limit("track-client", attempts=5, window=15 * 60)
TRACK_BY_CODE = Limit("track-code", attempts=10, window=60 * 60)
ADDITIONS_BY_INCIDENT = Limit("track-additions", attempts=10, window=60 * 60)


def client_subject(address: str | None) -> str:
    """The unit an address is limited as: an IPv4 address, or the /64 network of an
    IPv6 one (one household or phone gets a whole /64 and can pick any address in it)."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return "unknown"
    if ip.version == 6 and ip.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(getattr(ip, "ipv4_mapped", None) or ip)


def _keys(limit: Limit, subject: str) -> tuple[str, str]:
    digest = salted_hmac(_SALT, f"{limit.name}:{subject}").hexdigest()[:32]
    base = f"fq:ratelimit:{limit.name}:{digest}"
    return f"{base}:count", f"{base}:end"


def _remaining(end_key: str, limit: Limit, now: float) -> int:
    cache.add(end_key, now + limit.window, limit.window)
    end = cache.get(end_key)
    end = float(end) if end is not None else now + limit.window
    return max(1, math.ceil(end - now))


def used(limit: Limit, subject: str) -> int:
    """How many attempts the current window has counted."""
    count_key, _ = _keys(limit, subject)
    return int(cache.get(count_key) or 0)


def is_limited(limit: Limit, subject: str) -> bool:
    """True when the window is full: the next attempt must not be made."""
    return used(limit, subject) >= limit.attempts


def consume(limit: Limit, subject: str) -> bool:
    """Count one attempt *before* it is made (so parallel requests cannot all slip in
    before the first failure is written); False if it is over the limit. A successful
    attempt gives its count back with :func:`refund`."""
    count_key, end_key = _keys(limit, subject)
    remaining = _remaining(end_key, limit, time.time())
    if cache.add(count_key, 1, remaining):
        return limit.attempts >= 1
    try:
        count = cache.incr(count_key)
    except ValueError:  # expired between add and incr
        cache.set(count_key, 1, remaining)
        count = 1
    cache.touch(count_key, remaining)
    return count <= limit.attempts


def refund(limit: Limit, subject: str) -> None:
    """Give back an attempt that succeeded: only failures count against a limit."""
    count_key, end_key = _keys(limit, subject)
    try:
        count = cache.decr(count_key)
    except ValueError:  # the window has closed meanwhile
        return
    if count <= 0:
        cache.delete(count_key)
    else:
        cache.touch(count_key, _remaining(end_key, limit, time.time()))


def reset(limit: Limit, subject: str) -> None:
    """Forget a subject's window (an administrator unlocking a code)."""
    cache.delete_many(list(_keys(limit, subject)))
