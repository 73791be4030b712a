"""A small Twilio Messages API in a thread: it keeps what it accepts and lists it back, page by
page, filtered as Twilio filters; it can be told to accept a message and then lose the answer."""

from __future__ import annotations

import datetime as dt
import email.utils
import enum
import json
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from core import clock

ACCOUNT = "AC" + "0" * 32
MESSAGES = f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"


class Fault(enum.Enum):
    """What happens to one POST after the message was accepted."""

    #: The answer comes after the client gave up waiting.
    TIMEOUT = "timeout"
    #: The connection is closed without an answer.
    DROP = "drop"
    #: The request is lost before Twilio takes the message: not kept, no answer.
    LOST = "lost"


@dataclass
class Stored:
    sid: str
    to: str
    from_: str
    body: str
    sent: dt.datetime


@dataclass
class FakeTwilio:
    """Start with :meth:`start`; ``faults`` are used up one per POST, in order."""

    delay: float = 0.0
    hold: float = 2.0
    faults: deque[Fault] = field(default_factory=deque)
    #: Called with each accepted message before the answer goes out (a test kills a process).
    on_accept: Callable[[Stored], None] | None = None
    messages: list[Stored] = field(default_factory=list)
    lookups: int = 0
    posts: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeTwilio:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def copies(self) -> Counter[str]:
        """How many times each body was accepted."""
        with self._lock:
            return Counter(m.body for m in self.messages)

    # what the handler calls -----------------------------------------------------------------

    def accept(self, form: dict[str, str]) -> tuple[Stored, Fault | None]:
        with self._lock:
            self.posts += 1
            stored = Stored(
                sid=f"SM{len(self.messages) + 1:032d}",
                to=form.get("To", ""),
                from_=form.get("From", ""),
                body=form.get("Body", ""),
                sent=clock.now(),
            )
            self.messages.append(stored)
            fault = self.faults.popleft() if self.faults else None
        return stored, fault

    def page(self, query: dict[str, str]) -> dict[str, Any]:
        with self._lock:
            self.lookups += 1
            # Newest first, as Twilio lists them.
            found = [m for m in reversed(self.messages) if _matches(m, query)]
        size = int(query.get("PageSize", "50"))
        number = int(query.get("Page", "0"))
        chunk = found[number * size : (number + 1) * size]
        following = None
        if (number + 1) * size < len(found):
            following = f"{MESSAGES}?{urlencode({**query, 'Page': number + 1})}"
        return {
            "messages": [resource(m) for m in chunk],
            "next_page_uri": following,
            "page": number,
            "page_size": size,
            "uri": f"{MESSAGES}?{urlencode(query)}",
        }


def _matches(message: Stored, query: dict[str, str]) -> bool:
    if query.get("To") not in (None, message.to):
        return False
    if query.get("From") not in (None, message.from_):
        return False
    after = query.get("DateSent>")
    # Twilio compares DateSent by day.
    return after is None or message.sent.date() >= dt.datetime.fromisoformat(after).date()


def resource(message: Stored) -> dict[str, Any]:
    """The message as Twilio's API shows it (the fields the SDK reads)."""
    stamp = email.utils.format_datetime(message.sent.astimezone(dt.UTC), usegmt=True)
    return {
        "sid": message.sid,
        "account_sid": ACCOUNT,
        "to": message.to,
        "from": message.from_,
        "body": message.body,
        "status": "sent",
        "date_created": stamp,
        "date_sent": stamp,
        "uri": f"/2010-04-01/Accounts/{ACCOUNT}/Messages/{message.sid}.json",
    }


def _handler(fake: FakeTwilio) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the tests count requests themselves."""

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            self._answer(200, fake.page(query))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            form = {k: v[-1] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            time.sleep(fake.delay)
            if fake.faults and fake.faults[0] is Fault.LOST:
                fake.faults.popleft()
                self.close_connection = True
                self.connection.close()
                return
            stored, fault = fake.accept(form)
            if fake.on_accept is not None:
                fake.on_accept(stored)
            if fault is Fault.DROP:
                self.close_connection = True
                self.connection.close()
                return
            if fault is Fault.TIMEOUT:
                time.sleep(fake.hold)
            self._answer(201, resource(stored))

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:  # the client hung up (it timed out, or its process was killed)
                self.close_connection = True

    return Handler
