"""Display boards' event streams: capped per address and overall, cheap for the server."""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from core.config import Settings
from core.db import make_engine, make_session_factory, unit_of_work
from services.bootstrap import build_bus
from tests import factories
from tests.databases import fresh_database
from web.display_feed import StreamGate


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


def _app_with_gate(settings, connection, **limits):
    from tests.conftest import _session_on
    from web.app import create_app

    with _session_on(connection) as session:
        factories.hall(session)
        session.commit()
    return create_app(
        dataclasses.replace(settings, **limits),
        sessions=lambda: _session_on(connection),
        TESTING=True,
    )


def test_a_stream_beyond_the_addresss_share_gets_429_with_retry_after(settings, connection):
    app = _app_with_gate(settings, connection, max_streams_per_address=0)
    response = app.test_client().get("/hall/display/stream")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "30"
    assert response.json["error"]["code"] == "too_many_streams"


def test_a_stream_when_the_hall_is_full_gets_503_saying_so(settings, connection):
    app = _app_with_gate(settings, connection, max_streams=0)
    response = app.test_client().get("/hall/display/stream")
    assert response.status_code == 503
    assert "显示服务已满" in response.json["error"]["message"]


def test_a_reconnect_loop_from_one_address_is_throttled(settings, connection):
    from core.throttle import STREAM_OPENS

    app = _app_with_gate(settings, connection)
    app.config.update(TICKETS_STREAM_SECONDS=0, TICKETS_POLL_SECONDS=0)
    client = app.test_client()
    statuses = []
    for _ in range(STREAM_OPENS.limits[0].amount + 1):
        with client.get("/hall/display/stream") as response:
            statuses.append(response.status_code)
    assert statuses[-1] == 429
    assert set(statuses[:-1]) == {200}


def _with_a_hall(url: str) -> str:
    """``url``, its database holding the hall whose board the streams show."""
    engine = make_engine(url)
    with unit_of_work(make_session_factory(engine, build_bus())) as session:
        factories.hall(session)
    engine.dispose()
    return url


@dataclasses.dataclass
class Served:
    address: str
    gate: StreamGate


@pytest.fixture
def served(tmp_path) -> Iterator[Served]:
    """The app on waitress with as many threads as `courier run` gives it."""
    from waitress.server import create_server

    from web.app import create_app
    from web.cli import serving_options

    with fresh_database(tmp_path) as url:
        settings = Settings(
            database_url=_with_a_hall(url),
            mqtt_url=None,
            secret_key="s",
            label_key="l",
            code_key="c",
        )
        app = create_app(settings, TICKETS_STREAM_SECONDS=60, TICKETS_KEEPALIVE_SECONDS=0.2)
        server = create_server(app, host="127.0.0.1", port=0, **serving_options(settings))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        yield Served(f"127.0.0.1:{server.effective_port}", app.extensions["courier_stream_gate"])
        # Streams are ended first: a stream thread outliving the server would query a dropped
        # database and poke waitress's closed trigger descriptor, which by then may be another
        # test's PostgreSQL socket (CI once saw its connection "closed unexpectedly").
        server.task_dispatcher.shutdown(timeout=10)
        server.close()
        thread.join(10)
        app.extensions["courier_sessions"].dispose()


def _open_stream(address: str, source: str) -> socket.socket:
    host, port = address.split(":")
    sock = socket.socket()
    # Each board from an address of its own, as boards around a hall would be.
    sock.bind((source, 0))
    sock.connect((host, int(port)))
    sock.sendall(b"GET /hall/display/stream HTTP/1.1\r\nHost: hall\r\n\r\n")
    return sock


def _healthz_ms(address: str) -> float:
    host, port = address.split(":")
    started = time.perf_counter()
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: hall\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200")
    return (time.perf_counter() - started) * 1000


@pytest.mark.slow
def test_healthz_stays_fast_while_two_hundred_displays_are_connected(served):
    streams = [_open_stream(served.address, f"127.0.1.{n}") for n in range(1, 201)]
    try:
        for sock in streams:
            sock.settimeout(10)
            assert sock.recv(64).startswith(b"HTTP/1.1 200")
        _healthz_ms(served.address)  # the first request of a process warms its caches
        timings = sorted(_healthz_ms(served.address) for _ in range(10))
        assert timings[len(timings) // 2] < 100, timings
    finally:
        for sock in streams:
            sock.close()


@pytest.mark.slow
def test_a_board_that_leaves_frees_its_stream_at_the_next_keepalive(served):
    sock = _open_stream(served.address, "127.0.1.1")
    sock.settimeout(10)
    assert sock.recv(64).startswith(b"HTTP/1.1 200")
    assert served.gate.open_streams == 1
    sock.close()
    deadline = time.monotonic() + 5
    while served.gate.open_streams and time.monotonic() < deadline:
        time.sleep(0.05)
    assert served.gate.open_streams == 0


@pytest.fixture
def behind_a_proxy(tmp_path) -> Iterator[str]:
    """The app on waitress as `courier web` serves it behind one proxy hop."""
    from waitress.server import create_server

    from web.app import create_app
    from web.cli import serving_options

    with fresh_database(tmp_path) as url:
        settings = Settings(
            database_url=_with_a_hall(url),
            mqtt_url=None,
            secret_key="s",
            label_key="l",
            code_key="c",
            proxy_hops=1,
        )
        # Each visitor hangs up after the status line: a short keepalive finds that out, so
        # no stream thread is still at work when the server is shut down.
        app = create_app(settings, TICKETS_KEEPALIVE_SECONDS=0.2)
        server = create_server(app, host="127.0.0.1", port=0, **serving_options(settings))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        yield f"127.0.0.1:{server.effective_port}"
        server.task_dispatcher.shutdown(timeout=10)
        server.close()
        thread.join(10)
        app.extensions["courier_sessions"].dispose()


def _status_from(address: str, path: str, forwarded_for: str) -> int:
    host, port = address.split(":")
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: hall\r\nX-Forwarded-For: {forwarded_for}\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        return int(sock.recv(64).split()[1])


@pytest.mark.slow
def test_behind_a_proxy_waitress_lets_each_visitor_count_as_their_own_address(behind_a_proxy):
    from core.throttle import STREAM_OPENS

    opens = STREAM_OPENS.limits[0].amount
    statuses = {
        _status_from(behind_a_proxy, "/hall/display/stream?after=0", f"10.9.0.{n}")
        for n in range(opens + 5)
    }
    assert statuses == {200}
