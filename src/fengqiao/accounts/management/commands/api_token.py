"""接口令牌 for other systems: ``manage.py api_token issue|list|revoke``.

    ./fq manage api_token issue feed.110 --name "110 接处警系统"
    ./fq manage api_token list
    ./fq manage api_token revoke fq_Ab3dE9x

The secret is printed once, on issue; the system sends it as ``Authorization: Bearer …``
and acts as that account, within its role and jurisdiction.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from fengqiao.accounts import tokens
from fengqiao.accounts.models import ApiToken, User


class Command(BaseCommand):
    help = "Issue, list or revoke the API tokens other systems (a 110 feed) call the API with."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="command", required=True)
        issue = commands.add_parser("issue", help="a new token for an account; printed once")
        issue.add_argument("username")
        issue.add_argument("--name", required=True, help="which system holds it")
        commands.add_parser("list", help="every token, newest first")
        revoke = commands.add_parser("revoke", help="stop a token at once")
        revoke.add_argument("prefix", help="the token's first characters, as listed")

    def handle(self, *args: Any, **options: Any) -> None:
        command = options["command"]
        if command == "issue":
            user = User.objects.filter(username=options["username"], is_active=True).first()
            if user is None:
                raise CommandError(f"no active account {options['username']!r}")
            try:
                token, secret = tokens.issue(actor=None, user=user, name=options["name"])
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from None
            self.stdout.write(f"{token}: {secret}")
            self.stdout.write("Keep it now: it is not stored and cannot be shown again.")
        elif command == "list":
            for token in ApiToken.objects.select_related("user"):
                revoked, last = token.revoked_at, token.last_used_at
                state = f"revoked {revoked:%Y-%m-%d %H:%M}" if revoked else "active"
                used = f"{last:%Y-%m-%d %H:%M}" if last else "never"
                self.stdout.write(f"{token.prefix}  {token.user.username}  {token.name}  "
                                  f"{state}, last used {used}")  # fmt: skip
        else:
            matches = list(ApiToken.objects.filter(prefix__startswith=options["prefix"]))
            if len(matches) != 1:
                raise CommandError(f"{len(matches)} tokens start with {options['prefix']!r}")
            tokens.revoke(actor=None, token=matches[0])
            self.stdout.write(f"{matches[0]} revoked")
