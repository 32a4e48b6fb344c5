"""Address API: the free-text resolver, scoped to the caller's addresses."""

from __future__ import annotations

from dataclasses import asdict

from django.http import HttpRequest
from ninja import Field, Router, Schema

from fengqiao.addresses import selectors

router = Router(tags=["addresses"])


class MatchOut(Schema):
    code: str
    address: str
    score: float
    explanation: list[str]
    confident: bool = Field(
        description="true only for a best match that may be taken without asking (no "
        "conflict, none close behind); otherwise a person should confirm among the matches"
    )


class ResolutionOut(Schema):
    text: str
    parsed: dict[str, str]
    matches: list[MatchOut]


@router.get("/resolve", response=ResolutionOut, summary="Resolve free text to standard addresses")
def resolve(request: HttpRequest, q: str, limit: int = 5) -> dict:
    resolution, addresses = selectors.resolve_text(user=request.user, text=q, limit=min(limit, 20))
    texts = {a.code: a.full_text for a in addresses}
    return {
        "text": resolution.text,
        "parsed": {k: v for k, v in asdict(resolution.parsed).items() if v},
        "matches": [
            {
                "code": m.code,
                "address": texts.get(m.code, ""),
                "score": round(m.score, 3),
                "explanation": m.explanation,
                "confident": m.confident,
            }
            for m in resolution.matches
        ],
    }
