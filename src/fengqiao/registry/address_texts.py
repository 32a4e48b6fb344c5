"""现住址 / 地址 as stations write them: a ledger's free-text address settled against the
importer's standard addresses.

The matcher (:mod:`fengqiao.addresses.reading.matcher`) ranks the addresses of the
importer's scope; a confident first answer is the address meant. Anything else is not an
error but a question for an officer: the row waits in the review queue
(:class:`~fengqiao.registry.import_models.AddressReview`) with the candidates, grouped by
the street or compound the parser read, so one look settles a whole compound.

An address list is read the same way, with one more answer: a text no existing address
is near, read cleanly into road and door or compound and building, in a community the
importer's scope holds, is a new standard address.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fengqiao.addresses import selectors as address_selectors
from fengqiao.addresses.models import StandardAddress
from fengqiao.addresses.reading.matcher import Matcher
from fengqiao.addresses.reading.parser import parse_text
from fengqiao.jurisdictions.models import Jurisdiction, Kind

# Elements of a standard address below its community, as the parser names them.
LOCAL_ELEMENTS = ("road", "door_number", "compound", "building", "unit", "floor", "room")
CANDIDATES_KEPT = 5
# A candidate this likely (and not confident) may be the same place: an officer decides
# whether a text is new. Below it, a cleanly read text is a new address.
MAYBE_SAME_AT = 0.2
_COMMUNITY_ENDINGS = ("居民委员会", "村民委员会", "居委会", "村委会", "社区", "村")


@dataclass(slots=True)
class Settled:
    """What the matcher made of one text."""

    text: str
    code: str | None  # the existing address meant (confident), else None
    candidates: list[dict[str, Any]]  # [{"code", "score", "differs"}], best first
    elements: dict[str, str]  # the parser's reading below the community
    group: str  # the compound, else the road: the review queue's grouping
    clean: bool  # read whole into road + door or compound + building, nothing left over
    community: Jurisdiction | None = None  # the community the text names, if in scope

    @property
    def maybe_existing(self) -> bool:
        """A likely candidate whose numbers do not contradict the text: perhaps the same
        place. One with another door, building or room, or without a number the text
        has, is another address (阳头路18号 is not 阳头路1号)."""
        return any(c["score"] >= MAYBE_SAME_AT and not c["differs"] for c in self.candidates)


def _differs(reasons: list[str]) -> bool:
    return any(getattr(reason, "kind", "") in ("conflict", "absent") for reason in reasons)


def _community_stem(name: str) -> str:
    for ending in _COMMUNITY_ENDINGS:
        if name.endswith(ending) and len(name) > len(ending):
            return name[: -len(ending)]
    return name


class TextSettler:
    """Settles texts for one importer: his scope's matcher and communities, built once."""

    def __init__(self, user: Any) -> None:
        self.user = user
        self._matcher: Matcher | None = None
        self._communities: dict[str, list[Jurisdiction]] | None = None

    @property
    def matcher(self) -> Matcher:
        if self._matcher is None:
            self._matcher = address_selectors.matcher_for(self.user)
        return self._matcher

    def communities(self) -> dict[str, list[Jurisdiction]]:
        """The scope's communities by name, by stem (幸福 for 幸福社区) and by code."""
        if self._communities is None:
            found: dict[str, list[Jurisdiction]] = {}
            scope = self.user.jurisdiction
            in_scope = Jurisdiction.objects.filter(
                kind=Kind.COMMUNITY, covered_by__path__within=scope.path
            ).distinct()
            for community in in_scope:
                for key in {community.name, _community_stem(community.name), community.code} - {""}:
                    found.setdefault(key, []).append(community)
            self._communities = found
        return self._communities

    def community_named(self, name: str) -> Jurisdiction | None:
        """The one community of the scope written as ``name`` (None if none or several)."""
        if not name:
            return None
        found = self.communities().get(name) or self.communities().get(_community_stem(name))
        return found[0] if found and len(found) == 1 else None

    def settle(self, texts: Sequence[str], *, read_all: bool = False) -> list[Settled]:
        """Match a batch of texts (one matcher call). A text matched with confidence is
        settled by its code alone; the others, and all with ``read_all`` (an address list,
        whose new addresses need their elements), are also read by the parser and their
        candidates explained (which numbers differ): the costly part, done only there."""
        if not texts:
            return []
        ranked = self.matcher.match_many(list(texts), limit=CANDIDATES_KEPT, explain=False)
        unsure = [
            i for i, found in enumerate(ranked) if read_all or not (found and found[0].confident)
        ]
        explained = self.matcher.match_many([texts[i] for i in unsure], limit=CANDIDATES_KEPT)
        for i, found in zip(unsure, explained, strict=True):
            ranked[i] = found
        read = set(unsure)
        out = []
        for i, (text, candidates) in enumerate(zip(texts, ranked, strict=True)):
            top = candidates[0] if candidates else None
            code = top.code if top is not None and top.confident else None
            if i not in read:
                out.append(Settled(text, code, [], {}, "", clean=True))
                continue
            parsed = parse_text(text)
            elements = {name: getattr(parsed, name) for name in LOCAL_ELEMENTS}
            clean = not parsed.rest.strip() and bool(
                (elements["road"] and elements["door_number"])
                or (elements["compound"] and elements["building"])
            )
            out.append(
                Settled(
                    text=text,
                    code=code,
                    candidates=[
                        {"code": c.code, "score": c.score, "differs": _differs(c.reasons)}
                        for c in candidates
                    ],
                    elements=elements,
                    group=(elements["compound"] or elements["road"])[:100],
                    clean=clean,
                    community=self.community_named(parsed.community),
                )
            )
        return out

    def place(self, batch: Sequence[Settled]) -> None:
        """A new address's community when the text names none: the one community of the
        existing addresses on the same road or in the same compound, if they agree (a new
        door on 幸福路 lies where 幸福路's other doors lie); the scope's only community."""
        unplaced = [s for s in batch if s.community is None and s.group]
        if not unplaced:
            return
        codes = {c["code"] for s in unplaced for c in s.candidates}
        neighbours = StandardAddress.objects.filter(code__in=codes).values_list(
            "code", "community_id", "road", "compound"
        )
        by_code = {
            code: (community, road, compound) for code, community, road, compound in neighbours
        }
        only = self._only_community()
        for settled in unplaced:
            found = {
                by_code[c["code"]][0]
                for c in settled.candidates
                if c["code"] in by_code
                and (
                    (
                        settled.elements["compound"]
                        and by_code[c["code"]][2] == settled.elements["compound"]
                    )
                    or (
                        settled.elements["road"]
                        and by_code[c["code"]][1] == settled.elements["road"]
                    )
                )
            }
            if len(found) == 1:
                settled.community = self.by_pk().get(found.pop())
            elif not found and only is not None:
                settled.community = only

    # the scope's communities, each once
    def by_pk(self) -> dict[int, Jurisdiction]:
        return {c.pk: c for found in self.communities().values() for c in found}

    def _only_community(self) -> Jurisdiction | None:
        distinct = self.by_pk()
        return next(iter(distinct.values())) if len(distinct) == 1 else None
