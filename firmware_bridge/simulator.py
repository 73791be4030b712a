"""A simulated locker controller that speaks the contract (docs/mqtt.md) faithfully.

Its ``seq`` and ``boot`` survive restarts (a JSON file per controller), it keeps every event until
``evt/ack`` covers it and sends the rest again after a reconnect, it answers ``replay``, it runs
each ``cmd_id`` once, and it leaves a Last Will. It keeps each compartment's door, contents and
fault as its own events say, and publishes them as the retained ``state`` snapshot on connecting
and when a ``snapshot`` command asks. The demo and the tests drive it.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import logging
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from core.codes import keyed_pin_hash
from firmware_bridge.connection import BrokerAddress, connect, new_client
from firmware_bridge.contract import topic_for

log = logging.getLogger(__name__)
FIRMWARE = "sim-1.0"


class SimulatedController:
    def __init__(
        self,
        address: BrokerAddress,
        campus: str,
        controller: str,
        compartments: int,
        state_dir: Path,
        code_key: str,
        *,
        heartbeat_seconds: float = 30.0,
        occupied: Iterable[int] = (),
        deposit_seconds: float = 4.0,
    ) -> None:
        """``code_key`` is this controller's own key (``core.codes.controller_key``), provisioned
        at installation, which it checks pickup codes with. ``occupied``: the compartments that
        hold something when the controller is first installed (the demo's seeded results); a
        controller that has run before knows its compartments from its own events.
        ``deposit_seconds`` is how long a simulated teacher takes to put an envelope into a door
        the server opened for it."""
        self.address = address
        self.code_key = code_key
        self.campus = campus
        self.controller = controller
        self.compartments = compartments
        self.heartbeat_seconds = heartbeat_seconds
        self.deposit_seconds = deposit_seconds
        self.path = state_dir / f"{controller}.sqlite3"
        state_dir.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self.db = self._open()
        self.boot = int(self._get("boot", 0)) + 1
        self._set("boot", self.boot)
        if self._get("compartments", None) is None:
            full = set(occupied)
            self._set(
                "compartments",
                {
                    str(n): {"door": "closed", "occupied": n in full, "fault": None}
                    for n in range(1, compartments + 1)
                },
            )
        self.connected = threading.Event()
        self.acked = threading.Condition(self.lock)
        self.client = new_client(address, f"ctl-{controller}", persistent=True)
        self.client.will_set(
            self.topic("status"),
            json.dumps({"state": "lost", "boot": self.boot}),
            qos=1,
            retain=True,
        )
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    # State kept across restarts: a small SQLite file per controller ---------------------------
    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        db.execute("CREATE TABLE IF NOT EXISTS unacked (seq INTEGER PRIMARY KEY, payload TEXT)")
        return db

    def _get(self, key: str, default: Any) -> Any:
        with self.lock:
            row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def _set(self, key: str, value: Any) -> None:
        with self.lock:
            self.db.execute(
                "INSERT INTO meta VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, json.dumps(value)),
            )

    def pending(self, from_seq: int = 0) -> list[dict[str, Any]]:
        """Events not yet acknowledged, from ``from_seq`` on, in order."""
        with self.lock:
            rows = self.db.execute(
                "SELECT payload FROM unacked WHERE seq >= ? ORDER BY seq", (from_seq,)
            ).fetchall()
        return [json.loads(row[0]) for row in rows]

    @property
    def seq(self) -> int:
        return int(self._get("seq", 0))

    def topic(self, channel: str) -> str:
        return topic_for(self.campus, self.controller, channel)

    # Connection ---------------------------------------------------------------------------
    def start(self) -> None:
        connect(self.client, self.address, persistent=True)
        self.client.loop_start()
        self._beat = threading.Thread(target=self._heartbeats, daemon=True)
        self._beat.start()

    def stop(self) -> None:
        """A clean shutdown: say so, then leave (nothing to say after a crash)."""
        if self._stop.is_set():
            return
        self._stop.set()
        self.client.publish(
            self.topic("status"),
            json.dumps({"state": "offline", "boot": self.boot}),
            qos=1,
            retain=True,
        ).wait_for_publish(1)
        self.client.disconnect()
        self.client.loop_stop()

    def crash(self) -> None:
        """Drop the connection without a goodbye, as a power cut would: the Will is published."""
        self._stop.set()
        self.client.loop_stop()
        sock = self.client.socket()
        if sock is not None:
            sock.close()

    def _on_connect(
        self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any = None
    ) -> None:
        if reason.is_failure:
            log.error("%s: connection refused: %s", self.controller, reason)
            return
        client.subscribe([(self.topic("cmd"), 1), (self.topic("evt/ack"), 1)])
        birth = {
            "state": "online",
            "boot": self.boot,
            "fw": FIRMWARE,
            "compartments": self.compartments,
        }
        client.publish(self.topic("status"), json.dumps(birth), qos=1, retain=True)
        for payload in self.pending():
            client.publish(self.topic("evt"), json.dumps(payload), qos=1)
        # After the events it reflects: the server compares it once they are applied.
        self.publish_state()
        self.connected.set()

    def snapshot(self) -> dict[str, Any]:
        """The ``state`` payload: every compartment after the events up to ``seq``."""
        with self.lock:
            compartments = self._get("compartments", {})
            return {
                "seq": self.seq,
                "compartments": [
                    {"number": int(number), **compartments[number]}
                    for number in sorted(compartments, key=int)
                ],
            }

    def publish_state(self) -> None:
        """Publish the snapshot on the retained ``state`` topic."""
        self.client.publish(self.topic("state"), json.dumps(self.snapshot()), qos=1, retain=True)

    def _heartbeats(self) -> None:
        while not self._stop.wait(self.heartbeat_seconds):
            beat = {"boot": self.boot, "seq": self.seq, "uptime": int(self.heartbeat_seconds)}
            self.client.publish(self.topic("hb"), json.dumps(beat), qos=0)

    # Events ---------------------------------------------------------------------------------
    def emit(self, kind: str, data: dict[str, Any]) -> int:
        """Record and send one event; returns its seq."""
        with self.lock:
            seq = self.seq + 1
            payload = {
                "v": 1, "ctl": self.controller, "boot": self.boot, "seq": seq, "type": kind,
                "ts": dt.datetime.now(dt.UTC).isoformat(), "data": data,
            }  # fmt: skip
            self.db.execute("BEGIN")
            self._set("seq", seq)
            self._track(kind, data)
            self.db.execute("INSERT INTO unacked VALUES (?, ?)", (seq, json.dumps(payload)))
            self.db.execute("COMMIT")
        self.client.publish(self.topic("evt"), json.dumps(payload), qos=1)
        return seq

    def _track(self, kind: str, data: dict[str, Any]) -> None:
        """What an event says about its compartment, kept for the ``state`` snapshot."""
        compartments = self._get("compartments", {})
        item = compartments.get(str(data.get("compartment")))
        if item is None:
            return
        if kind == "door_opened":
            item["door"] = "open"
        elif kind == "door_closed":
            item["door"] = "closed"
            item["occupied"] = bool(data.get("occupied"))
        elif kind == "fault":
            item["fault"] = f"{data.get('component')}: {data.get('detail')}"[:80]
        else:
            return
        self._set("compartments", compartments)

    def wait_acked(self, timeout: float = 30.0) -> bool:
        """Wait until the server acknowledged every event sent so far."""
        with self.acked:
            return self.acked.wait_for(lambda: not self.pending(), timeout=timeout)

    def deposit(self, compartment: int, label: str | None) -> None:
        """Someone opens a compartment, puts an envelope in with its label read, and closes it."""
        self.emit("door_opened", {"compartment": compartment, "by": "code"})
        self.emit("deposit", {"compartment": compartment, "label": label})
        self.emit("door_closed", {"compartment": compartment, "occupied": True, "by": "code"})

    def load(self, compartment: int, labels: Iterable[str]) -> None:
        """A courier opens a bus box compartment, puts envelopes in past its reader (each
        label read) and closes it."""
        self.emit("door_opened", {"compartment": compartment, "by": "card"})
        for label in labels:
            self.emit("deposit", {"compartment": compartment, "label": label})
        self.emit("door_closed", {"compartment": compartment, "occupied": True, "by": "card"})

    def unload(self, compartment: int, labels: Iterable[str], still_occupied: bool) -> None:
        """A courier opens a bus box compartment, takes envelopes out past its reader (each
        label read) and closes it, with or without envelopes left inside."""
        self.emit("door_opened", {"compartment": compartment, "by": "card"})
        for label in labels:
            self.emit("removal", {"compartment": compartment, "label": label})
        self.emit(
            "door_closed", {"compartment": compartment, "occupied": still_occupied, "by": "card"}
        )

    def locked(self) -> bool:
        """Whether the server locked the keypad (too many wrong codes) and the lockout runs."""
        return bool(self._get("locked_until", "") > dt.datetime.now(dt.UTC).isoformat())

    def _matches(self, entry: dict[str, Any], digits: str) -> bool:
        return bool(
            entry["valid_until"] > dt.datetime.now(dt.UTC).isoformat()
            and hmac.compare_digest(keyed_pin_hash(self.code_key, digits), entry["hash"])
        )

    def keypad(self, compartment: int, digits: str) -> bool:
        """A recipient types a pickup code for ``compartment``; checked offline against the hash
        the server sent. During a lockout every code is refused, the right one too."""
        if self.locked():
            self.emit("code_rejected", {"compartment": compartment, "reason": "locked"})
            return False
        with self.lock:
            codes = self._get("codes", {})
            entry = codes.get(str(compartment))
            ok = bool(entry and self._matches(entry, digits))
            attempts = self._get("attempts", {})
            attempt = attempts.get(str(compartment), 0) + 1
            attempts[str(compartment)] = 0 if ok else attempt
            self._set("attempts", attempts)
        if ok:
            self._open_for_pickup(compartment, attempt)
        else:
            self.emit("pickup", {"compartment": compartment, "code_ok": False, "attempt": attempt})
        return ok

    def keypad_any(self, digits: str) -> bool:
        """A code typed on the bank's own screen: the compartment holding that code opens."""
        with self.lock:
            codes = self._get("codes", {})
        if not self.locked():
            for number, entry in codes.items():
                if self._matches(entry, digits):
                    return self.keypad(int(number), digits)
        self.emit("code_rejected", {"compartment": None, "attempts": 1})
        return False

    def _open_for_pickup(self, compartment: int, attempt: int = 1) -> None:
        """The recipient's door opens: the code is spent, the pickup reported, the door shut."""
        with self.lock:
            codes = self._get("codes", {})
            codes.pop(str(compartment), None)
            self._set("codes", codes)
        self.emit("pickup", {"compartment": compartment, "code_ok": True, "attempt": attempt})
        self.emit("door_opened", {"compartment": compartment, "by": "code"})
        self.emit("door_closed", {"compartment": compartment, "occupied": False, "by": "code"})

    def _open_for_deposit(self, compartment: int) -> None:
        """The drop-box screen checked a label: the door opens, and a moment later the teacher
        has put the envelope in and shut it. The box's own reader saw no label (the screen
        did), so the deposit names none: the server knows whom the compartment was held for."""
        self.emit("door_opened", {"compartment": compartment, "by": "remote"})
        threading.Timer(self.deposit_seconds, self._deposited, args=(compartment,)).start()

    def _deposited(self, compartment: int) -> None:
        if self._stop.is_set():
            return
        self.emit("deposit", {"compartment": compartment, "label": None})
        self.emit("door_closed", {"compartment": compartment, "occupied": True, "by": "remote"})

    # Messages from the server ---------------------------------------------------------------
    def _on_message(self, client: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        try:
            body = json.loads(message.payload)
        except json.JSONDecodeError:
            return
        if message.topic.endswith("/evt/ack"):
            with self.acked:
                self.db.execute(
                    "DELETE FROM unacked WHERE seq <= ?", (int(body.get("upto_seq", 0)),)
                )
                self.acked.notify_all()
            return
        threading.Thread(target=self._command, args=(body,), daemon=True).start()

    def _answer(self, cmd_id: str, status: str, error: str = "") -> None:
        answer = {"cmd_id": cmd_id, "status": status, **({"error": error} if error else {})}
        self.client.publish(self.topic("cmd/ack"), json.dumps(answer), qos=1)

    def _command(self, body: dict[str, Any]) -> None:
        cmd_id, op, args = body.get("cmd_id", ""), body.get("op"), body.get("args") or {}
        with self.lock:
            if cmd_id in self._get("executed", []):
                self._answer(cmd_id, "done")
                return
        if body.get("expires_at", "9") < dt.datetime.now(dt.UTC).isoformat():
            self._answer(cmd_id, "expired")
            return
        self._answer(cmd_id, "received")
        if op == "replay":
            from_seq = int(args.get("from_seq", 0))
            # Without ``to_seq`` (contract 1.1 servers): everything from ``from_seq`` on.
            to_seq = int(args.get("to_seq") or self.seq)
            again = [event for event in self.pending(from_seq) if event["seq"] <= to_seq]
            for payload in again:
                self.client.publish(self.topic("evt"), json.dumps(payload), qos=1)
            if again:
                self.emit("replay_done", {"from_seq": from_seq, "to_seq": again[-1]["seq"]})
        elif op == "open" and args.get("for") == "pickup":
            # The server checked the code typed on the kiosk: open as a right code would.
            self._open_for_pickup(int(args["compartment"]))
        elif op == "open" and args.get("for") == "deposit":
            self._open_for_deposit(int(args["compartment"]))
        elif op == "open":
            number = args.get("compartment")
            self.emit("door_opened", {"compartment": number, "by": "remote"})
            self.emit("door_closed", {"compartment": number, "occupied": False, "by": "remote"})
        elif op == "lockout":
            self._set("locked_until", str(args["until"]))
        elif op == "set_code":
            with self.lock:
                codes = self._get("codes", {})
                codes[str(args["compartment"])] = {
                    "hash": args["code_hash"],
                    "valid_until": args["valid_until"],
                }
                self._set("codes", codes)
        elif op == "clear_code":
            with self.lock:
                codes = self._get("codes", {})
                codes.pop(str(args.get("compartment")), None)
                self._set("codes", codes)
        elif op == "snapshot":
            self.publish_state()
        elif op != "show":
            self._answer(cmd_id, "rejected", f"unknown op {op}")
            return
        with self.lock:
            self._set("executed", [*self._get("executed", [])[-999:], cmd_id])
        self._answer(cmd_id, "done")
