"""Password rules (密码规则) as the settings name them."""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.utils.translation import ngettext


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's, in our words: Django 5.2 rewrote its message (``%d``) and its Chinese
    catalog still translates the old one, so a Chinese page showed it in English."""

    def get_error_message(self) -> str:
        return ngettext(
            "密码太短：至少需要 %(min_length)d 个字符。",
            "密码太短：至少需要 %(min_length)d 个字符。",
            self.min_length,
        ) % {"min_length": self.min_length}
