"""Tracking codes: a short random id and an HMAC tag, in Crockford's base32.

``8KQ2M9XR7H2PQ`` is eight characters of id and five of tag. Crockford's alphabet has no I, L, O
or U, ignores case and reads ``O`` as ``0`` and ``I``/``L`` as ``1``, so a code typed from a label
survives the usual slips; a typo or a forged code fails the tag check before anything is looked
up. Refusals are counted so administrators can see someone guessing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ID_LENGTH = 8
TAG_LENGTH = 5
CODE_LENGTH = ID_LENGTH + TAG_LENGTH
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


class ForgedCode(ValueError):
    """The text is not a tracking code this installation issued."""


class _Counter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.value = 0

    def increment(self) -> None:
        with self._lock:
            self.value += 1


#: Codes refused by :func:`verify` since the process started.
forged_codes = _Counter()


def _tag(key: str, ident: str) -> str:
    digest = hmac.new(key.encode(), ident.encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big")
    return "".join(ALPHABET[(number >> (5 * i)) & 31] for i in range(TAG_LENGTH))


def new_code(key: str) -> str:
    """A new signed tracking code."""
    ident = "".join(secrets.choice(ALPHABET) for _ in range(ID_LENGTH))
    return ident + _tag(key, ident)


def normalise(text: str) -> str:
    """Upper-case, hyphens and spaces dropped, Crockford's look-alikes mapped."""
    return re.sub(r"[\s-]", "", text).upper().translate(_READ_AS)


def verify(text: str, key: str) -> str:
    """The canonical code in ``text`` (a code, grouped or not, or a label's QR URL).

    Raises :class:`ForgedCode` when no correctly signed code is there; no database is touched.
    """
    candidate = normalise(text.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0])
    if (
        len(candidate) == CODE_LENGTH
        and all(c in ALPHABET for c in candidate)
        and hmac.compare_digest(_tag(key, candidate[:ID_LENGTH]), candidate[ID_LENGTH:])
    ):
        return candidate
    forged_codes.increment()
    raise ForgedCode(text)


def grouped(code: str) -> str:
    """``8KQ2-M9XR-7H2PQ``: easier to read aloud and to type."""
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"


#: How many digits a pickup or handover code has: what a recipient types at a locker or desk.
PIN_DIGITS = 6


def pin_hash(salt: str, digits: str) -> str:
    """How a code is kept (and what a locker controller compares with): SHA-256 of
    ``salt:digits``, hex."""
    return hashlib.sha256(f"{salt}:{digits}".encode()).hexdigest()


def new_pin() -> tuple[str, str, str]:
    """A fresh code as ``(digits, salt, hash)``; the digits go to the recipient and are never
    stored, only the salt and the hash."""
    digits = f"{secrets.randbelow(10**PIN_DIGITS):0{PIN_DIGITS}d}"
    salt = secrets.token_hex(8)
    return digits, salt, pin_hash(salt, digits)


def pin_matches(salt: str, expected: str, digits: str) -> bool:
    """Whether ``digits`` is the code kept as ``salt`` and ``expected`` (in constant time)."""
    if not (len(digits) == PIN_DIGITS and digits.isdigit()):
        return False
    return hmac.compare_digest(pin_hash(salt, digits), expected)


def controller_key(code_key: str, controller: str) -> str:
    """The key one locker controller checks pickup codes with (hex): HMAC-SHA256 of
    ``controller:<id>`` under the server's code key. A controller's key opens no other bank."""
    tag = f"controller:{controller}".encode()
    return hmac.new(code_key.encode(), tag, hashlib.sha256).hexdigest()


def pickup_digits(code_key: str, nonce: str) -> str:
    """The six digits of the pickup code stored as ``nonce``.

    Only the server, which holds the code key, can compute them: the database keeps the nonce and
    the keyed hash, so a copy of it gives no code back, while the recipient's own page can still
    show theirs.
    """
    digest = hmac.new(code_key.encode(), f"pin:{nonce}".encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**PIN_DIGITS:0{PIN_DIGITS}d}"


def keyed_pin_hash(controller_key_hex: str, digits: str) -> str:
    """How a pickup code is kept, and what ``set_code`` sends: HMAC-SHA256 of the digits under the
    controller's key, hex."""
    return hmac.new(bytes.fromhex(controller_key_hex), digits.encode(), hashlib.sha256).hexdigest()


def is_pin(digits: str) -> bool:
    """Whether ``digits`` has the shape of a pickup or handover code."""
    return len(digits) == PIN_DIGITS and digits.isdigit()
