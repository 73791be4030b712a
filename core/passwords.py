"""Which passwords people may choose: long enough and not guessable (zxcvbn, offline)."""

from __future__ import annotations

from zxcvbn import zxcvbn

from core.errors import N_, Problem, ValidationFailed

MIN_LENGTH = 10
#: zxcvbn's score (0-4) a password must reach: 3 is "safely unguessable" for online attacks.
MIN_SCORE = 3


def check_new_password(password: str, *personal: str) -> None:
    """Refuse a short password, or one zxcvbn guesses from common passwords, words and
    ``personal`` facts (login, name, phone). Raises :class:`ValidationFailed`."""
    if len(password) < MIN_LENGTH:
        raise ValidationFailed(
            [Problem("password", N_("A password needs at least 10 characters."))]
        )
    # zxcvbn is quadratic in length; anything this long is not in a list of common passwords.
    if zxcvbn(password[:100], user_inputs=[p for p in personal if p])["score"] < MIN_SCORE:
        raise ValidationFailed(
            [
                Problem(
                    "password",
                    N_("This password is too easy to guess; use a few unrelated words."),
                )
            ]
        )
