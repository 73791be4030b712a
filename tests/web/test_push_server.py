"""The display boards' push server: calls pushed to every board at once, streams capped per
address and overall, and an idle board holding no thread."""

from __future__ import annotations

import dataclasses
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from core.config import Settings
from core.db import make_engine, make_session_factory, unit_of_work
from core.throttle import STREAM_OPENS
from core.users import Role
from services.bootstrap import build_bus
from tests import factories
from tests.databases import backend, fresh_database
from tests.tickets.conftest import make_hall
from tickets import queue
from tickets.models import Category, Window
from web.push.gate import StreamGate
from web.push.running import push_thread

ROOT = Path(__file__).resolve().parents[2]


def test_the_gate_refuses_an_address_beyond_its_share():
    gate = StreamGate(per_address=2, overall=10)
    assert [gate.enter("10.0.0.1") for _ in range(3)] == [None, None, "address"]
    assert gate.enter("10.0.0.2") is None


def test_the_gate_refuses_everyone_when_full_and_admits_again_after_a_leave():
    gate = StreamGate(per_address=5, overall=2)
    gate.enter("10.0.0.1")
    gate.enter("10.0.0.2")
    assert gate.enter("10.0.0.3") == "full"
    gate.leave("10.0.0.1")
    assert gate.enter("10.0.0.3") is None


@dataclasses.dataclass
class Hall:
    """A database with a hall whose window 1 is staffed and has people waiting."""

    url: str
    settings: Settings
    window_id: int
    other_window_id: int

    def take_and_call(self, window_id: int | None = None, tickets: int = 1) -> None:
        """Take ``tickets`` tickets and call one to the window, in this process."""
        engine = make_engine(self.url)
        with unit_of_work(make_session_factory(engine, build_bus())) as session:
            window = session.get(Window, window_id or self.window_id)
            for _ in range(tickets):
                queue.take_ticket(session, window.categories[0])
            if queue.current_ticket(session, window) is not None:
                queue.start(session, window)
                queue.finish(session, window)
            queue.call_next(session, window)
        engine.dispose()

    def call_from_another_process(self, window_id: int | None = None) -> None:
        """Call the next ticket to the window from a process of its own, as a window's
        console served by another web worker would."""
        script = (
            "import sys\n"
            "from core.db import make_engine, make_session_factory, unit_of_work\n"
            "from services.bootstrap import build_bus\n"
            "from tickets import queue\n"
            "from tickets.models import Window\n"
            "engine = make_engine(sys.argv[1])\n"
            "with unit_of_work(make_session_factory(engine, build_bus())) as session:\n"
            "    window = session.get(Window, int(sys.argv[2]))\n"
            "    queue.take_ticket(session, window.categories[0])\n"
            "    queue.call_next(session, window)\n"
        )
        subprocess.run(
            [sys.executable, "-c", script, self.url, str(window_id or self.window_id)],
            cwd=ROOT,
            check=True,
            timeout=60,
        )


@pytest.fixture
def hall(tmp_path) -> Iterator[Hall]:
    with fresh_database(tmp_path) as url:
        engine = make_engine(url)
        with unit_of_work(make_session_factory(engine, build_bus())) as session:
            here = make_hall(session)
            other = factories.hall(session, "XL")
            staff = factories.user(session, "xu", Role.HALL_STAFF)
            category = Category(hall=other, prefix="X", name="西岭教务")
            window = Window(hall=other, number=1, name="1 号窗口", categories=[category])
            session.add(window)
            session.flush()
            queue.sign_in(session, window, staff)
            ids = here.one.id, window.id
        engine.dispose()
        settings = Settings(
            database_url=url, mqtt_url=None, secret_key="s", label_key="l", code_key="c"
        )
        yield Hall(url, settings, *ids)


class Board:
    """One display board's stream, read as a browser's EventSource would."""

    def __init__(self, port: int, path: str = "/hall/display/stream", **headers: str) -> None:
        source = headers.pop("source", "127.0.0.1")
        self.sock = socket.socket()
        self.sock.bind((source, 0))
        self.sock.settimeout(10)
        self.sock.connect(("127.0.0.1", port))
        lines = [f"GET {path} HTTP/1.1", "Host: hall", *(f"{k}: {v}" for k, v in headers.items())]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.reader = self.sock.makefile("rb")
        self.status = int(self.reader.readline().split()[1])
        self.headers: dict[str, str] = {}
        while (line := self.reader.readline().decode().strip()) != "":
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()

    def body(self) -> dict:
        """A refusal's JSON answer."""
        return json.loads(self.reader.read(int(self.headers["content-length"])))

    def next_call(self, timeout: float = 10) -> dict:
        """The next call event's data, waiting up to ``timeout`` seconds."""
        self.sock.settimeout(timeout)
        event: dict[str, str] = {}
        while True:
            line = self.reader.readline().decode()
            if not line:
                raise ConnectionError("the stream ended")
            line = line.rstrip("\r\n")
            if line == "" and event.get("event") == "call":
                return json.loads(event["data"])
            if line == "":
                event = {}
            elif ":" in line and not line.startswith(":"):
                name, _, value = line.partition(":")
                event[name] = value.strip()

    def close(self) -> None:
        self.reader.close()
        self.sock.close()

    def __enter__(self) -> Board:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _open_streams(port: int) -> int:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: hall\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    return int(json.loads(answer.split(b"\r\n\r\n", 1)[1])["streams"])


def test_a_call_reaches_a_connected_board_without_waiting_for_a_poll(hall):
    with push_thread(hall.settings, port=0, poll_seconds=3600) as port, Board(port) as board:
        assert board.status == 200
        assert board.headers["content-type"].startswith("text/event-stream")
        hall.take_and_call()
        started = time.monotonic()
        assert board.next_call()["number"] == "A001"
        assert time.monotonic() - started < 2


def test_a_call_committed_by_another_process_reaches_the_board(hall):
    # PostgreSQL notifies at once; SQLite is polled, here every 0.2 s.
    with (
        push_thread(
            hall.settings, port=0, poll_seconds=3600 if backend() != "sqlite" else 0.2
        ) as port,
        Board(port) as board,
    ):
        hall.call_from_another_process()
        assert board.next_call()["number"] == "A001"


@pytest.mark.skipif(backend() == "sqlite", reason="PostgreSQL's NOTIFY")
def test_calls_still_arrive_after_the_database_drops_the_listening_connection(hall):
    with push_thread(hall.settings, port=0, poll_seconds=3600) as port, Board(port) as board:
        engine = make_engine(hall.url)
        with engine.begin() as connection:
            dropped = connection.scalar(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND query LIKE 'LISTEN%'"
                )
            )
        engine.dispose()
        assert dropped == 1
        hall.call_from_another_process()
        assert board.next_call()["number"] == "A001"


def test_a_board_gets_only_the_calls_after_its_last_event_id(hall):
    hall.take_and_call(tickets=2)
    with push_thread(hall.settings, port=0) as port:
        with Board(port, **{"Last-Event-ID": "0"}) as board:
            first = board.next_call()
        hall.take_and_call()
        with Board(port, **{"Last-Event-ID": str(first["id"])}) as board:
            assert board.next_call()["number"] == "A002"


def test_a_halls_board_never_shows_another_halls_calls(hall):
    path = "/hall/NH/display/stream"
    with push_thread(hall.settings, port=0) as port, Board(port, path) as board:
        hall.take_and_call(hall.other_window_id)
        hall.take_and_call()
        assert board.next_call()["number"] == "A001"


def test_an_unknown_hall_is_answered_404_in_the_callers_language(hall):
    english = {"Accept-Language": "en"}
    with (
        push_thread(hall.settings, port=0) as port,
        Board(port, "/hall/QQ/display/stream", **english) as board,
    ):
        assert board.status == 404
        assert board.body()["error"] == {"code": "no_hall", "message": "There is no hall QQ."}


def test_a_stream_beyond_the_addresss_share_gets_429_with_retry_after(hall):
    settings = dataclasses.replace(hall.settings, max_streams_per_address=0)
    with push_thread(settings, port=0) as port, Board(port) as board:
        assert board.status == 429
        assert board.headers["retry-after"] == "30"
        assert board.body()["error"]["code"] == "too_many_streams"


def test_a_stream_when_the_hall_is_full_gets_503_saying_so_in_chinese(hall):
    full = dataclasses.replace(hall.settings, max_streams=0)
    with push_thread(full, port=0) as port, Board(port) as board:
        assert board.status == 503
        assert "显示服务已满" in board.body()["error"]["message"]


def test_a_reconnect_loop_from_one_address_is_throttled(hall):
    with push_thread(hall.settings, port=0, stream_seconds=0) as port:
        statuses = []
        for _ in range(STREAM_OPENS.limits[0].amount):
            with Board(port) as board:
                statuses.append(board.status)
        with Board(port) as refused:
            assert refused.status == 429
            assert "1 分钟后再试" in refused.body()["error"]["message"]
    assert set(statuses) == {200}


def test_behind_a_proxy_each_visitor_counts_as_their_own_address(hall):
    settings = dataclasses.replace(hall.settings, proxy_hops=1)
    opens = STREAM_OPENS.limits[0].amount
    with push_thread(settings, port=0, stream_seconds=0) as port:
        statuses = set()
        for n in range(opens + 5):
            with Board(port, **{"X-Forwarded-For": f"10.9.0.{n}"}) as board:
                statuses.add(board.status)
    assert statuses == {200}


def test_a_board_that_leaves_frees_its_stream_at_once(hall):
    with push_thread(hall.settings, port=0) as port:
        with Board(port):
            assert _open_streams(port) == 1
        deadline = time.monotonic() + 5
        while _open_streams(port) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _open_streams(port) == 0


@pytest.mark.slow
def test_two_hundred_idle_boards_hold_no_thread_and_all_get_the_next_call(hall):
    with push_thread(hall.settings, port=0, poll_seconds=3600) as port:
        Board(port).close()  # the first stream starts the loop's thread pool
        before = threading.active_count()
        boards = [Board(port, source=f"127.0.1.{n}") for n in range(1, 201)]
        assert {board.status for board in boards} == {200}
        assert threading.active_count() - before <= 2
        hall.take_and_call()
        assert {board.next_call()["number"] for board in boards} == {"A001"}
        for board in boards:
            board.close()
