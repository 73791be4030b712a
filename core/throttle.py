"""Throttles shared by every process that serves the site (counters in ``limits`` storage).

The storage is named by a URI: ``memory://`` keeps counters in this process (the embedded
default), ``redis://host:port/db`` shares them between processes.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from core.errors import N_

#: Failed logins for one account from one address: the tiers lengthen the wait (back-off).
LOGIN_PER_ACCOUNT = "5 per 15 minutes; 10 per hour; 20 per day"
#: Failed logins from one address over all accounts; a browser that logged in to an account
#: before is let through to that account (see web.auth), so a campus NAT cannot lock it out.
LOGIN_PER_ADDRESS = "30 per 15 minutes"
#: Tickets taken by anonymous visitors from one address (kiosk page and API).
TICKETS_PER_ADDRESS = "10 per 10 minutes; 30 per day"
#: New display-stream connections from one address (a reconnect loop is refused).
STREAM_OPENS_PER_ADDRESS = "30 per minute"


class TooManyAttempts(Exception):
    """Refused by a throttle; ``retry_after`` is the seconds until the next try may pass.

    People are told :attr:`message` (a message id, see :mod:`core.errors`) with :attr:`params`.
    """

    message = N_("Too many attempts. Try again in %(minutes)s minutes.")

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"throttled for {retry_after} s")
        self.retry_after = retry_after

    @property
    def params(self) -> dict[str, int]:
        """The wait in whole minutes, rounded up: "try again in 0 minutes" would be wrong."""
        return {"minutes": max(1, math.ceil(self.retry_after / 60))}


@dataclass(frozen=True)
class Rule:
    """One throttle: its limits (all must pass) and the namespace of its keys."""

    name: str
    limits: tuple[RateLimitItem, ...]

    @classmethod
    def parse(cls, name: str, text: str) -> Rule:
        return cls(name, tuple(parse_many(text)))


class Throttle:
    """Counts hits per key under each rule; one per process, shared through its storage."""

    def __init__(self, storage_uri: str, prefix: str = "courier") -> None:
        options = {"key_prefix": prefix} if storage_uri.startswith("redis") else {}
        self.storage: Storage = storage_from_string(storage_uri, **options)
        self._limiter = MovingWindowRateLimiter(self.storage)

    def check(self, rule: Rule, *key: str) -> None:
        """Raise :class:`TooManyAttempts` when ``key`` has used up any limit of ``rule``."""
        waits = [self._wait(limit, rule, key) for limit in rule.limits]
        wait = max(waits, default=0)
        if wait:
            raise TooManyAttempts(wait)

    def hit(self, rule: Rule, *key: str) -> None:
        """Count one use of ``key`` under every limit of ``rule``."""
        for limit in rule.limits:
            self._limiter.hit(limit, rule.name, *key)

    def take(self, rule: Rule, *key: str) -> None:
        """Count one use of ``key``, refusing with :class:`TooManyAttempts` when a limit of
        ``rule`` is used up; for acts limited whether they succeed or not.

        The count and the refusal are one step of the storage (a lock in memory, a script in
        Redis): of many simultaneous attempts exactly the limit's number pass, where checking
        first and counting after would let every one of them through.
        """
        for limit in rule.limits:
            if not self._limiter.hit(limit, rule.name, *key):
                raise TooManyAttempts(self._wait(limit, rule, key) or 1)

    def clear(self, rule: Rule, *key: str) -> None:
        """Forget ``key``'s uses (a successful login forgives that account's failures)."""
        for limit in rule.limits:
            self._limiter.clear(limit, rule.name, *key)

    def remaining(self, rule: Rule, *key: str) -> int:
        """Uses ``key`` has left before the tightest limit of ``rule`` refuses it."""
        return min(
            self._limiter.get_window_stats(limit, rule.name, *key).remaining
            for limit in rule.limits
        )

    def _wait(self, limit: RateLimitItem, rule: Rule, key: tuple[str, ...]) -> int:
        if self._limiter.test(limit, rule.name, *key):
            return 0
        reset = self._limiter.get_window_stats(limit, rule.name, *key).reset_time
        return max(1, math.ceil(reset - time.time()))


LOGIN_ACCOUNT = Rule.parse("login-account", LOGIN_PER_ACCOUNT)
LOGIN_ADDRESS = Rule.parse("login-address", LOGIN_PER_ADDRESS)
TICKETS = Rule.parse("tickets", TICKETS_PER_ADDRESS)
STREAM_OPENS = Rule.parse("stream-opens", STREAM_OPENS_PER_ADDRESS)
