"""Tracking codes: a short random id and an HMAC tag, in Crockford's base32.

``8KQ2M9XR7H2PQ`` is eight characters of id and five of tag. Crockford's alphabet has no I, L, O
or U, ignores case and reads ``O`` as ``0`` and ``I``/``L`` as ``1``, so a code typed from a label
survives the usual slips; a typo or a forged code fails the tag check before anything is looked
up. Refusals are counted so administrators can see someone guessing, over every worker process
of a host when ``PROMETHEUS_MULTIPROC_DIR`` names a folder (see :class:`_Counter`).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.multiprocess import MultiProcessCollector

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ID_LENGTH = 8
TAG_LENGTH = 5
CODE_LENGTH = ID_LENGTH + TAG_LENGTH
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


class ForgedCode(ValueError):
    """The text is not a tracking code this installation issued."""


class _Counter:
    """A count every worker process of the host adds to.

    A plain number would live in one gunicorn worker, and each request would see the count of
    whichever worker it reached. With ``PROMETHEUS_MULTIPROC_DIR`` set before the process starts
    (``deploy/gunicorn.conf.py`` does), prometheus_client keeps each process's count in a
    memory-mapped file of that folder and :attr:`value` adds them up, those of workers that
    have since exited too; without it the count is the process's own.
    """

    def __init__(self, name: str, documentation: str) -> None:
        self._registry = CollectorRegistry()
        self._name = name
        self._counter = Counter(name, documentation, registry=self._registry)

    def increment(self) -> None:
        self._counter.inc()

    @property
    def value(self) -> int:
        folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        registry = self._registry
        if folder:
            registry = CollectorRegistry()
            MultiProcessCollector(registry, path=folder)
        return int(registry.get_sample_value(f"{self._name}_total") or 0)


#: Codes refused by :func:`verify` since the service started.
forged_codes = _Counter("courier_forged_codes", "Tracking codes refused as forged or mistyped")


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


def random_pin() -> str:
    """Six random digits: a handover code for the service desk (kept only as
    :func:`keyed_pin_hash` under :func:`desk_key`, so the digits reach nobody but the recipient)."""
    return f"{secrets.randbelow(10**PIN_DIGITS):0{PIN_DIGITS}d}"


def desk_key(code_key: str, campus: str) -> str:
    """The key the service desk of ``campus`` (its code) checks handover codes with (hex):
    HMAC-SHA256 of ``desk:<campus>`` under the server's code key, derived as a controller's is.
    A salted hash of six digits is a million guesses from them; this one is not, without the key.
    """
    return hmac.new(code_key.encode(), f"desk:{campus}".encode(), hashlib.sha256).hexdigest()


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


def matches_pin(key_hex: str, expected: str | None, digits: str) -> bool:
    """Whether ``digits`` is the code kept as ``expected`` under ``key_hex`` (constant time)."""
    if not expected or not is_pin(digits):
        return False
    return hmac.compare_digest(keyed_pin_hash(key_hex, digits), expected)


#: Where a session finds the server's code key (set by ``services.bootstrap.with_code_key``).
CODE_KEY = "courier.code_key"


class NoCodeKey(RuntimeError):
    """The session was opened without the server's code key."""


def code_key(session: Session) -> str:
    """The server's code key, carried by every session the entry points open (never stored)."""
    key = session.info.get(CODE_KEY)
    if not key:
        raise NoCodeKey("open sessions through services.bootstrap(): pickup codes need the key")
    return str(key)


def is_pin(digits: str) -> bool:
    """Whether ``digits`` has the shape of a pickup or handover code."""
    return len(digits) == PIN_DIGITS and digits.isdigit()
