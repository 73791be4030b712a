"""The MQTT contract, version 1.1 (docs/mqtt.md): topics and payloads, checked strictly.

Integers are bounded so that every accepted value fits its column on every database (``seq`` a
JSON integer in 1..2^53-1, the range every JSON reader keeps exact; ``boot`` in 1..2^31-1), and
no string may carry a NUL character (PostgreSQL text refuses it, so one would fail a transaction).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import msgspec

PREFIX = "cc/v1"
SHORT_CODE = re.compile(r"^[A-Za-z0-9-]{1,32}$")
CHANNELS = ("evt", "status", "hb", "state", "cmd/ack")
EVENT_TYPES: dict[str, dict[str, tuple[type, ...]]] = {
    "door_opened": {"compartment": (int,)},
    "door_closed": {"compartment": (int,), "occupied": (bool,)},
    "deposit": {"compartment": (int,)},
    "removal": {"compartment": (int,)},
    "pickup": {"compartment": (int,), "code_ok": (bool,), "attempt": (int,)},
    "code_rejected": {"attempts": (int,)},
    "tamper": {"kind": (str,)},
    "fault": {"component": (str,), "detail": (str,)},
    "replay_done": {"from_seq": (int,), "to_seq": (int,)},
}
OPTIONAL: dict[str, dict[str, tuple[type, ...]]] = {
    "door_opened": {"by": (str,)},
    "door_closed": {"by": (str,)},
    "deposit": {"label": (str, type(None))},
    "removal": {"label": (str, type(None))},
    "code_rejected": {"compartment": (int, type(None))},
}
TAMPER_KINDS = {"door_forced", "door_ajar", "jammed", "power", "tilt"}
COMMAND_STATUSES = {"received", "done", "rejected", "expired"}
SEQ_MAX = 2**53 - 1
BOOT_MAX = 2**31 - 1
#: The broker refuses bigger packets (``max_packet_size``); the bridge dead-letters them too.
MAX_PAYLOAD = 64 * 1024
#: How far a controller's clock may be from the server's before its event is dead-lettered.
TS_PAST = dt.timedelta(days=30)
TS_FUTURE = dt.timedelta(minutes=10)
_NUL = b"\\u0000"


class ContractError(ValueError):
    """The message breaks the contract; ``controller`` and ``seq`` say what of it was readable."""

    def __init__(self, reason: str, controller: str | None = None, seq: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.controller = controller
        self.seq = seq


@dataclass(frozen=True)
class Topic:
    campus: str
    controller: str
    channel: str


class Envelope(msgspec.Struct, frozen=True):
    """A valid event; a Struct because the bridge makes one per event (built in C)."""

    controller: str
    boot: int
    seq: int
    type: str
    ts: dt.datetime
    data: dict[str, Any]


def topic_for(campus: str, controller: str, channel: str) -> str:
    return f"{PREFIX}/{campus}/{controller}/{channel}"


def parse_topic(topic: str) -> Topic:
    parts = topic.split("/")
    if len(parts) < 5 or "/".join(parts[:2]) != PREFIX:
        raise ContractError(f"not a contract topic: {topic[:100]}")
    campus, controller, channel = parts[2], parts[3], "/".join(parts[4:])
    if not (SHORT_CODE.match(campus) and SHORT_CODE.match(controller)) or channel not in CHANNELS:
        raise ContractError(f"not a contract topic: {topic[:100]}")
    return Topic(campus, controller, channel)


def _json(payload: bytes) -> Any:
    try:
        return json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ContractError(f"payload is not JSON: {exc}") from None


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _typed(value: Any, types: tuple[type, ...]) -> bool:
    if int in types and _int(value):
        return True
    return any(isinstance(value, t) and t is not int for t in types)


def parse_event(topic: Topic, payload: bytes) -> Envelope:
    """Validate an ``evt`` message; raises :class:`ContractError` with what could be read.

    A well-formed event is decoded and checked by msgspec in C (the bridge's hot path); anything
    msgspec refuses goes through :func:`_check_event`, which says which field is wrong and how
    much of the envelope could be read. The msgspec types below are never more lenient than
    :func:`_check_event`, so both paths accept exactly the same events.
    """
    if len(payload) > MAX_PAYLOAD or _NUL in payload:
        return _check_event(topic, payload)
    try:
        head = _ENVELOPE.decode(payload)
        _DATA[head.type].decode(head.data)
        data = _AS_DICT.decode(head.data)
        ts = dt.datetime.fromisoformat(head.ts)
    except (msgspec.DecodeError, msgspec.ValidationError, KeyError, ValueError):
        return _check_event(topic, payload)
    if head.ctl != topic.controller or ts.tzinfo is None:
        return _check_event(topic, payload)
    return Envelope(head.ctl, head.boot, head.seq, head.type, ts, data)


def _check_event(topic: Topic, payload: bytes) -> Envelope:
    if len(payload) > MAX_PAYLOAD:
        raise ContractError(f"payload of {len(payload)} bytes is over {MAX_PAYLOAD}")
    body = _json(payload)
    if not isinstance(body, dict):
        raise ContractError("payload is not a JSON object")
    controller = body.get("ctl")
    if controller != topic.controller:
        # Touches no controller's sequence: the message is not trustworthy about either.
        raise ContractError(
            f"payload names controller {str(controller)[:32]!r}, topic {topic.controller!r}"
        )
    seq = _readable_seq(body.get("seq"))
    if seq is None:
        raise ContractError(f"seq is missing or not an integer in 1..{SEQ_MAX}", controller)
    if not _int(body["seq"]):
        # Readable, so it still counts as received: asking again would bring the same float.
        raise ContractError("seq must be a JSON integer", controller, seq)
    if body.get("v") != 1:
        raise ContractError("unsupported contract version", controller, seq)
    if _has_nul(body):
        raise ContractError("a string carries a NUL character", controller, seq)
    boot = body.get("boot")
    if not _in_range(boot, 1, BOOT_MAX):
        raise ContractError(f"boot is missing or not an integer in 1..{BOOT_MAX}", controller, seq)
    kind = body.get("type")
    if not isinstance(kind, str) or kind not in EVENT_TYPES:
        raise ContractError(f"unknown event type {str(kind)[:24]!r}", controller, seq)
    try:
        ts = dt.datetime.fromisoformat(str(body.get("ts")))
    except ValueError:
        raise ContractError("ts is not an ISO 8601 time", controller, seq) from None
    if ts.tzinfo is None:
        raise ContractError("ts has no UTC offset", controller, seq)
    data = body.get("data")
    if not isinstance(data, dict):
        raise ContractError("data is not an object", controller, seq)
    for name, types in EVENT_TYPES[kind].items():
        if name not in data or not _typed(data[name], types):
            raise ContractError(f"{kind}: {name} is missing or of the wrong type", controller, seq)
    for name, types in OPTIONAL.get(kind, {}).items():
        if name in data and not _typed(data[name], types):
            raise ContractError(f"{kind}: {name} is of the wrong type", controller, seq)
    if kind == "tamper" and data["kind"] not in TAMPER_KINDS:
        raise ContractError(f"tamper: unknown kind {data['kind'][:24]!r}", controller, seq)
    return Envelope(controller, boot, seq, kind, ts, data)


def _readable_seq(value: Any) -> int | None:
    """``seq`` as a number in range, even when sent as a float like ``31.0``."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if _in_range(value, 1, SEQ_MAX) else None


def _in_range(value: Any, low: int, high: int) -> bool:
    return _int(value) and low <= value <= high


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\0" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def check_clock(envelope: Envelope, now: dt.datetime) -> None:
    """Refuse an event whose ``ts`` is older than :data:`TS_PAST` or further ahead than
    :data:`TS_FUTURE` of the server's clock (the ``seq`` still counts as received)."""
    if not now - TS_PAST <= envelope.ts <= now + TS_FUTURE:
        raise ContractError(
            f"ts {envelope.ts.isoformat()[:40]} is implausible (server time {now:%Y-%m-%dT%H:%M}Z)",
            envelope.controller,
            envelope.seq,
        )


class _Head(msgspec.Struct):
    v: Literal[1]
    ctl: str
    boot: Annotated[int, msgspec.Meta(ge=1, le=BOOT_MAX)]
    seq: Annotated[int, msgspec.Meta(ge=1, le=SEQ_MAX)]
    type: str
    ts: str
    data: msgspec.Raw


def _data_struct(kind: str) -> type[msgspec.Struct]:
    """One event type's ``data`` as a Struct made from :data:`EVENT_TYPES` and :data:`OPTIONAL`,
    accepting exactly what :func:`_check_event` does (unknown keys pass there too)."""
    fields: list[Any] = [(name, _union(allowed)) for name, allowed in EVENT_TYPES[kind].items()]
    if kind == "tamper":
        fields = [("kind", Literal[tuple(sorted(TAMPER_KINDS))])]
    fields += [(name, _union(allowed), None) for name, allowed in OPTIONAL.get(kind, {}).items()]
    return msgspec.defstruct(f"{kind}_data", fields)


def _union(allowed: tuple[type, ...]) -> Any:
    members = [None if member is type(None) else member for member in allowed]
    return members[0] if len(members) == 1 else members[0] | members[1]


_ENVELOPE = msgspec.json.Decoder(_Head)
_DATA = {kind: msgspec.json.Decoder(_data_struct(kind)) for kind in EVENT_TYPES}
_AS_DICT = msgspec.json.Decoder(dict[str, Any])


@dataclass(frozen=True)
class Status:
    state: str
    boot: int
    firmware: str = ""
    compartments: int | None = None


def _small_json(payload: bytes) -> Any:
    if len(payload) > MAX_PAYLOAD:
        raise ContractError(f"payload of {len(payload)} bytes is over {MAX_PAYLOAD}")
    body = _json(payload)
    if _has_nul(body):
        raise ContractError("a string carries a NUL character")
    return body


def parse_status(payload: bytes) -> Status:
    body = _small_json(payload)
    state = body.get("state") if isinstance(body, dict) else None
    if not isinstance(state, str) or state not in {"online", "offline", "lost"}:
        raise ContractError("status: state must be online, offline or lost")
    if not _in_range(body.get("boot"), 1, BOOT_MAX):
        raise ContractError(f"status: boot is missing or not an integer in 1..{BOOT_MAX}")
    compartments = body.get("compartments")
    return Status(
        body["state"],
        body["boot"],
        str(body.get("fw") or "")[:32],
        compartments if _in_range(compartments, 0, 10_000) else None,
    )


@dataclass(frozen=True)
class Heartbeat:
    boot: int
    seq: int
    uptime: int


def parse_heartbeat(payload: bytes) -> Heartbeat:
    body = _small_json(payload)
    if not (
        isinstance(body, dict)
        and _in_range(body.get("boot"), 1, BOOT_MAX)
        and _in_range(body.get("seq"), 0, SEQ_MAX)
        and _in_range(body.get("uptime"), 0, SEQ_MAX)
    ):
        raise ContractError(
            f"hb: boot (1..{BOOT_MAX}), seq and uptime (0..{SEQ_MAX}) must be integers"
        )
    return Heartbeat(body["boot"], body["seq"], body["uptime"])


@dataclass(frozen=True)
class CommandAck:
    cmd_id: str
    status: str
    error: str


def parse_command_ack(payload: bytes) -> CommandAck:
    body = _small_json(payload)
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("cmd_id"), str)
        or not isinstance(body.get("status"), str)
        or body["status"] not in COMMAND_STATUSES
    ):
        raise ContractError("cmd/ack: cmd_id and a known status are required")
    return CommandAck(body["cmd_id"][:40], body["status"], str(body.get("error") or "")[:200])


@dataclass(frozen=True)
class CompartmentReport:
    number: int
    door_open: bool
    occupied: bool
    fault: str | None


@dataclass(frozen=True)
class Snapshot:
    seq: int
    compartments: tuple[CompartmentReport, ...]


def parse_state(payload: bytes) -> Snapshot:
    """A ``state`` snapshot: ``{"seq": N, "compartments": [{"number": 1, "door": "closed",
    "occupied": true, "fault": null}, …]}`` (contract v1.1)."""
    body = _small_json(payload)
    if not isinstance(body, dict) or not _in_range(body.get("seq"), 0, SEQ_MAX):
        raise ContractError(f"state: seq must be an integer in 0..{SEQ_MAX}")
    items = body.get("compartments")
    if not isinstance(items, list):
        raise ContractError("state: compartments must be a list")
    reports = []
    for item in items:
        if not (
            isinstance(item, dict)
            and _in_range(item.get("number"), 1, 10_000)
            and item.get("door") in {"open", "closed"}
            and isinstance(item.get("occupied"), bool)
            and (item.get("fault") is None or isinstance(item.get("fault"), str))
        ):
            raise ContractError("state: each compartment needs number, door, occupied, fault")
        fault = item["fault"][:80] if item.get("fault") else None
        reports.append(
            CompartmentReport(item["number"], item["door"] == "open", item["occupied"], fault)
        )
    return Snapshot(body["seq"], tuple(reports))
