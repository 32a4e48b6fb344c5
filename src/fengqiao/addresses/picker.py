"""The standard-address picker of the intake forms (incidents/_address_options.html): what
it shows for a location as typed, and which address a form may save with it.

A confident best match (``Match.confident``) is pre-selected and marked. Otherwise nothing
is: the choices are shown under "请确认地址" with their scores and why, and the form saves
only what the user picked, an address or "none" (the text alone). The pre-selected code
also travels in the hidden ``address_auto``, so that a form (or the next live search)
can tell our pre-selection from the user's pick: a pick is kept whatever the text says
later, a pre-selection only while it is still the confident answer for the text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from fengqiao.addresses import codes, selectors
from fengqiao.addresses.explain import short_reasons
from fengqiao.addresses.models import StandardAddress
from fengqiao.addresses.resolver import Match

MIN_TEXT = 2  # one character says nothing about an address
LIMIT = 5

NOT_CONFIRMED = _("请确认地址：选择一个标准地址，或选“不选，保留所填地点文字”。")
TEXT_CHANGED = _("地点文字已改动，原先预选的标准地址不再可信，请重新确认。")


@dataclass(frozen=True, slots=True)
class Choice:
    """One address offered, with what the page says about it."""

    address: StandardAddress
    match: Match | None  # None: the user's own pick, no longer among the matches
    confident: bool = False  # the confident best answer: pre-selected and marked

    @property
    def percent(self) -> int | None:
        # A match is never certain: 99.6 % is shown as 99 %, not 100 %.
        return None if self.match is None else min(99, round(self.match.score * 100))

    @property
    def reasons(self) -> list[str]:
        return short_reasons(self.match.explanation) if self.match else []


def choices(*, user: Any, text: str) -> list[Choice]:
    """The resolver's best standard addresses for ``text`` in the user's scope, best
    first, the first marked when it is a confident answer."""
    text = text.strip()
    if len(text) < MIN_TEXT:
        return []
    resolution, found = selectors.resolve_text(user=user, text=text, limit=LIMIT)
    by_code = {address.code: address for address in found}
    return [
        Choice(by_code[m.code], m, confident=m.confident and position == 0)
        for position, m in enumerate(resolution.matches)
        if m.code in by_code
    ]


def confident_code(rows: list[Choice]) -> str:
    return next((c.address.code for c in rows if c.confident), "")


def _own_pick(picked: str | None, auto: str | None) -> str | None:
    """What the user chose: a code, "" for "none", None for no choice. The code we
    pre-selected for an earlier text is not a choice."""
    if picked is None:
        return None
    code = codes.normalise(picked)
    if code and auto and code == codes.normalise(auto):
        return None
    return code


def address_choices(
    *, user: Any, text: str, picked: str | None = None, auto: str | None = None
) -> dict[str, Any]:
    """The picker's context for a location as typed. ``picked`` is the radio sent (None
    when none was checked, "" for "none"), ``auto`` the pre-selection it was shown with.
    The user's pick comes first when the resolver no longer ranks it, so a form coming
    back with an error, or a live search after the text was edited, keeps it (the radio
    and its label); without one the confident best is checked, else nothing."""
    rows = choices(user=user, text=text)
    own = _own_pick(picked, auto)
    if own and own not in {c.address.code for c in rows}:
        address = selectors.addresses_for(user=user).filter(code=own).first()
        if address is not None:
            rows.insert(0, Choice(address, None))
        else:
            own = None  # out of scope or unknown: not put back
    best = confident_code(rows)
    checked = best if own is None else own
    return {
        "rows": rows,
        "picked": checked,
        # "none" is checked only when chosen: with nothing checked the form asks.
        "none_picked": own == "",
        "confident": bool(best),
        "auto": best,
        "searched": len(text.strip()) >= MIN_TEXT,
    }


def form_choices(user: Any, data: Any) -> dict[str, Any]:
    """The picker as a posted form (or a live search's query) sent it."""
    return address_choices(
        user=user,
        text=data.get("location_text", ""),
        picked=data.get("address"),
        auto=data.get("address_auto"),
    )


def refusal(*, user: Any, text: str, picked: str | None, auto: str | None) -> Any:
    """Why a form may not save the address sent with ``text`` (None when it may): the
    choices were never answered, or our pre-selection is stale (the text changed and the
    address is no longer its confident answer). A user's own pick always stands."""
    if picked is None:
        return NOT_CONFIRMED if choices(user=user, text=text) else None
    code = codes.normalise(picked)
    if not code or not auto or code != codes.normalise(auto):
        return None
    return None if confident_code(choices(user=user, text=text)) == code else TEXT_CHANGED


def check_form(form: Any, *, user: Any) -> None:
    """For a form's ``clean()``: the picker's error on the ``address`` field when what was
    sent may not be saved (see :func:`refusal`); the input is kept, as with any error."""
    if "address" in form.errors:
        return
    problem = refusal(
        user=user,
        text=form.cleaned_data.get("location_text") or "",
        picked=form.data.get("address"),
        auto=form.data.get("address_auto"),
    )
    if problem is not None:
        form.add_error("address", problem)
