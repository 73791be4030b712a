"""What the bridge publishes: a topic and a payload, sent only after the commit that stored the
messages they answer."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from core import clock
from firmware_bridge import contract
from firmware_bridge.models import ControllerSequence
from lockers.models import LockerBank

COMMAND_TTL = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Outbound:
    topic: str
    payload: dict[str, Any]
    qos: int = 1


def topic_text(bank: LockerBank, channel: str) -> str:
    return contract.topic_for(bank.campus.code, bank.controller, channel)


def evt_ack(bank: LockerBank, sequence: ControllerSequence) -> Outbound:
    return Outbound(topic_text(bank, "evt/ack"), {"upto_seq": sequence.contiguous})


def replay_command(bank: LockerBank, from_seq: int, to_seq: int) -> Outbound:
    """Ask the controller to resend the events ``from_seq`` to ``to_seq`` (both included)."""
    now = clock.now()
    return Outbound(
        topic_text(bank, "cmd"),
        {
            "cmd_id": f"replay-{uuid.uuid4()}",
            "op": "replay",
            "args": {"from_seq": from_seq, "to_seq": to_seq},
            "issued_at": now.isoformat(),
            "expires_at": (now + COMMAND_TTL).isoformat(),
        },
    )
