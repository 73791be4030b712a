"""The ``courier`` command: run the whole system, or one part of it, and administer it."""

from __future__ import annotations

import getpass
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Campus, Location
from core.codes import controller_key
from core.config import Settings, load_settings
from core.db import unit_of_work
from core.errors import DomainError, ValidationFailed
from core.logs import configure_logging
from core.passwords import check_new_password
from core.phones import mobile_number
from core.users import Role, create_user
from services import audit
from services.bootstrap import Services, bootstrap

if TYPE_CHECKING:
    from firmware_bridge.simulator import SimulatedController


def _services() -> Services:
    """What :func:`main` bootstrapped for this command."""
    services: Services = click.get_current_context().find_root().obj
    return services


def _settings() -> Settings:
    return _services().settings


@contextmanager
def _transaction() -> Iterator[Session]:
    """One unit of work of this command."""
    with unit_of_work(_services().sessions) as session:  # type: ignore[arg-type]
        yield session


def _fail(error: DomainError) -> None:
    click.echo(f"error: {error}", err=True)
    if isinstance(error, ValidationFailed):
        for problem in error.problems:
            where = f"line {problem.line}: " if problem.line else ""
            click.echo(f"  {where}{problem.field}: {problem.text}", err=True)
    sys.exit(1)


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """campus-courier: cross-campus document courier and one-stop service hall."""
    settings = load_settings()
    configure_logging(settings.log_level, f"courier-{ctx.invoked_subcommand}")
    services = bootstrap(settings)
    ctx.obj = services
    ctx.call_on_close(services.dispose)


@main.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration."""
    import migrations

    settings = _settings()
    migrations.upgrade(settings.database_url)
    click.echo(f"database is up to date: {_safe_url(settings.database_url)}")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@main.command("seed-demo")
def seed_demo_command() -> None:
    """Load the demo catalog and users (idempotent). Never in production."""
    settings = _settings()
    if settings.production:
        raise click.ClickException("demo data is never loaded when COURIER_ENV=production")
    _seed(settings)


def _seed(settings: Settings) -> None:
    from web.demo import DEMO_PASSWORD, seed_demo, seed_pickups

    with _transaction() as session:
        report, added = seed_demo(session, settings.label_key)
        waiting = seed_pickups(session, settings.label_key) if added else []
    click.echo(
        f"demo catalog: {report.created} items created, {report.updated} updated; "
        f"{added} demo users added"
    )
    click.echo(f"demo users (password {DEMO_PASSWORD}): " + _demo_logins())
    _print_pickups(settings, waiting)


def _print_pickups(settings: Settings, logins: list[str]) -> None:
    """Where each demo recipient sees the codes of what waits for them."""
    for login in logins:
        click.echo(f"pickup codes of {login}: log in as {login}, then {settings.base_url}/pickups")


def _demo_logins() -> str:
    from web.demo import DEMO_USERS

    return ", ".join(u.login for u in DEMO_USERS)


#: Waitress worker threads: pages only, display streams go to the push server.
PAGE_THREADS = 32
#: Connections waitress keeps open (it accepts 100 unless told): a browser keeps a few alive
#: between pages, and a hall or a load test brings hundreds of them.
CONNECTIONS = 1000


def serving_options(settings: Settings) -> dict[str, Any]:
    """Waitress's options for ``settings``: threads for pages and room for many visitors'
    connections; behind ``COURIER_PROXY_HOPS`` proxies the forwarding headers are left for the
    app to read (waitress drops them by default, and every visitor would then count as the
    proxy's address)."""
    return {
        "threads": PAGE_THREADS,
        "connection_limit": CONNECTIONS,
        "clear_untrusted_proxy_headers": not settings.proxy_hops,
    }


def _serve(settings: Settings) -> None:
    from waitress import serve

    from web.app import create_app

    app = create_app(services=_services())
    click.echo(f"serving on http://{settings.host}:{settings.port}/  (Ctrl+C stops)")
    serve(
        app,
        host=settings.host,
        port=settings.port,
        **serving_options(settings),
        ident="campus-courier",
    )


@main.command()
def run() -> None:
    """Run everything on embedded defaults: database, demo data, broker, bridge, simulated
    lockers and the web server."""
    import migrations
    from web.demo import DEMO_PASSWORD, DEMO_PICKUPS, has_users

    settings = _settings()
    migrations.upgrade(settings.database_url)
    click.echo(f"database: {_safe_url(settings.database_url)}")
    with _transaction() as session:
        empty = not has_users(session)
    if empty and not settings.production:
        _seed(settings)
    elif not settings.production:
        click.echo(f"demo users (password {DEMO_PASSWORD} unless changed): " + _demo_logins())
        _print_pickups(settings, [login for login, *_ in DEMO_PICKUPS])
    # SIGTERM (a service manager, a test) should stop the devices and the broker cleanly too.
    signal.signal(signal.SIGTERM, _exit_once)
    from notifications.worker import dispatcher_thread

    services = _services()
    from web.push.running import push_thread

    with (
        devices(services),
        dispatcher_thread(services.sessions, settings),
        _scheduler_process(),
        push_thread(settings) as port,
    ):
        click.echo(f"display boards' push server on port {port}")
        _serve(settings)


@contextmanager
def _scheduler_process() -> Iterator[None]:
    """The one scheduler process (``courier scheduler``) for as long as the block runs."""
    import subprocess

    process = subprocess.Popen([sys.executable, "-m", "web.cli", "scheduler"])
    click.echo(f"scheduler running (process {process.pid})")
    try:
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@main.command()
def scheduler() -> None:
    """Run every package's scheduled jobs (SLA scan, ...); two may run for availability."""
    from web.scheduler import all_jobs, build_scheduler

    jobs = all_jobs()
    click.echo("scheduler: " + ", ".join(f"{job.id} every {job.every}" for job in jobs))
    signal.signal(signal.SIGTERM, _exit_once)
    with suppress(KeyboardInterrupt, SystemExit):
        build_scheduler(_services().sessions, jobs).start()


def _exit_once(*_args: object) -> None:
    """Leave through the ``finally`` blocks; a second signal must not cut the clean-up short."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    sys.exit(0)


@contextmanager
def devices(services: Services) -> Iterator[dict[str, SimulatedController]]:
    """The broker (unless COURIER_MQTT_URL names one), the bridge and a simulated controller for
    every locker bank, for as long as the block runs; their files live under the var dir.
    Yields the simulated controllers by controller id."""
    from firmware_bridge.bridge import Bridge
    from firmware_bridge.broker import BRIDGE_USER, start_private_broker
    from firmware_bridge.connection import parse_url
    from firmware_bridge.simulator import SimulatedController
    from lockers.models import CompartmentState, LockerBank

    settings = services.settings
    with unit_of_work(services.sessions) as session:  # type: ignore[arg-type]
        banks = [
            (bank.campus.code, bank.controller, len(bank.compartments))
            for bank in session.scalars(select(LockerBank).order_by(LockerBank.controller))
        ]
        # The simulated lockers are installed holding what the demo seed put in them, so that
        # their state snapshots agree with the server where the demo is consistent.
        occupied = {
            bank.controller: [
                c.number for c in bank.compartments if c.state == CompartmentState.OCCUPIED
            ]
            for bank in session.scalars(select(LockerBank))
        }
    broker = None
    if settings.mqtt_url:
        bridge_url = settings.mqtt_url
        controller_url = lambda _controller: bridge_url  # noqa: E731
    else:
        broker = start_private_broker(
            settings.var_dir / "mqtt", [controller for _c, controller, _n in banks]
        )
        bridge_url = broker.url_for(BRIDGE_USER)
        controller_url = broker.url_for
        click.echo(f"mqtt: private {broker.kind} on 127.0.0.1:{broker.port}")
    bridge = Bridge(parse_url(bridge_url), services.sessions, settings.label_key)
    bridge.start()
    simulators = [
        SimulatedController(
            parse_url(controller_url(controller)),
            campus,
            controller,
            count,
            settings.var_dir / "simulators",
            controller_key(settings.code_key, controller),
            occupied=occupied[controller],
        )
        for campus, controller, count in banks
    ]
    for simulator in simulators:
        simulator.start()
    click.echo(f"bridge running; {len(simulators)} simulated locker controllers")
    try:
        yield {simulator.controller: simulator for simulator in simulators}
    finally:
        for simulator in simulators:
            simulator.stop()
        bridge.stop()
        if broker is not None:
            broker.stop()


@main.command()
@click.option("--controllers", default=0, help="how many (default: one per locker bank)")
def simulate(controllers: int) -> None:
    """Run simulated locker controllers against COURIER_MQTT_URL until interrupted."""
    import threading

    from firmware_bridge.connection import parse_url
    from firmware_bridge.simulator import SimulatedController
    from lockers.compartments import add_bank
    from lockers.models import BankKind, LockerBank, Size

    settings = _settings()
    address = parse_url(_broker(settings))
    with _transaction() as session:
        banks = list(session.scalars(select(LockerBank).order_by(LockerBank.controller)))
        wanted = controllers or len(banks)
        if len(banks) < wanted:
            place = session.scalars(select(Location).order_by(Location.code)).first()
            if place is None:
                raise click.ClickException("no locations: run courier seed-demo first")
            banks += [
                add_bank(
                    session, f"SIM-{n:03d}", f"模拟柜 {n}", BankKind.DROP_BOX, place, [Size.M] * 8
                )
                for n in range(len(banks) + 1, wanted + 1)
            ]
        chosen = [(b.campus.code, b.controller, len(b.compartments)) for b in banks[:wanted]]
    simulators = [
        SimulatedController(
            address,
            campus,
            controller,
            count,
            settings.var_dir / "simulators",
            controller_key(settings.code_key, controller),
        )
        for campus, controller, count in chosen
    ]
    for simulator in simulators:
        simulator.start()
    click.echo(f"{len(simulators)} simulated controllers running; Ctrl+C stops")
    done = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: done.set())
    done.wait()
    for simulator in simulators:
        simulator.stop()


@main.command()
def web() -> None:
    """Serve the web application only."""
    _serve(_settings())


@main.command()
def push() -> None:
    """Serve the display boards' event streams (on ``COURIER_PUSH_PORT``)."""
    from web.push.running import serve

    settings = _settings()
    click.echo(f"push server on http://{settings.host}:{settings.push_port}/  (Ctrl+C stops)")
    serve(settings)


def _broker(settings: Settings) -> str:
    if not settings.mqtt_url:
        raise click.ClickException("set COURIER_MQTT_URL (courier run starts a broker itself)")
    return settings.mqtt_url


@main.command()
def bridge() -> None:
    """Run the MQTT bridge between locker controllers and the database: on PostgreSQL for the
    partitions (COURIER_BRIDGE_PARTITIONS) whose lock it can take, standing by for the rest."""
    from firmware_bridge.bridge import run_forever
    from firmware_bridge.connection import parse_url
    from firmware_bridge.failover import PartitionHost
    from firmware_bridge.partition import partitions_of

    services = _services()
    settings = services.settings
    address = parse_url(_broker(settings))
    partitions = partitions_of(settings.bridge_partitions)
    covered = {campus for partition in partitions for campus in partition.campuses}
    if covered:
        with _transaction() as session:
            left = sorted(set(session.scalars(select(Campus.code))) - covered)
        if left:
            click.echo(f"bridge: no partition serves the campuses {', '.join(left)}", err=True)
    locking = settings.database_url.startswith("postgresql")
    click.echo(
        f"bridge: {address.host}:{address.port}, database {_safe_url(settings.database_url)}, "
        f"partitions {', '.join(p.name for p in partitions)}"
        + ("" if locking else " (SQLite: this process serves them all)")
    )
    run_forever(
        PartitionHost(
            address,
            services.sessions,
            settings.label_key,
            partitions,
            settings.database_url if locking else None,
        )
    )


@main.command()
@click.option("--idle", default=1.0, help="seconds to wait when nothing is due")
def dispatcher(idle: float) -> None:
    """Send queued notices (SMS, WeChat); several may run side by side."""
    import threading

    from notifications.worker import dispatcher_for

    settings = _settings()
    done = threading.Event()
    with dispatcher_for(_services().sessions, settings) as worker:
        for number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(number, lambda *_: (done.set(), worker.wake()))
        click.echo(f"dispatcher: {_safe_url(settings.database_url)}")
        worker.run_forever(done, idle)


@main.group("catalog")
def catalog_group() -> None:
    """Import and export the service catalog."""


def _format_of(path: str, given: str | None) -> str:
    if given:
        return given
    suffix = Path(path).suffix.lower()
    if suffix in {".yaml", ".yml"}:
        return "yaml"
    if suffix == ".csv":
        return "csv"
    raise click.BadParameter("cannot tell the format; pass --format yaml or csv")


@catalog_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["yaml", "csv"]))
def catalog_import(path: str, fmt: str | None) -> None:
    """Import a catalog file; nothing is written unless every row is valid."""
    from catalog.transfer import import_catalog

    text = Path(path).read_text(encoding="utf-8-sig")
    try:
        with _transaction() as session:
            report = import_catalog(session, text, _format_of(path, fmt))
    except DomainError as error:
        _fail(error)
    click.echo(f"imported {path}: {report.created} items created, {report.updated} updated")


@catalog_group.command("export")
@click.option("--format", "fmt", type=click.Choice(["yaml", "csv"]), default="yaml")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="file (default: stdout)")
def catalog_export(fmt: str, output: str | None) -> None:
    """Export the whole catalog."""
    from catalog.transfer import export_csv, export_yaml

    with _transaction() as session:
        text = export_yaml(session) if fmt == "yaml" else export_csv(session)
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


@main.group("user")
def user_group() -> None:
    """User accounts."""


@user_group.command("add")
@click.argument("login")
@click.option("--name", required=True, help="display name")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice([r.value for r in Role]),
    help="repeat for several roles",
)
@click.option("--phone")
@click.option("--email")
@click.option("--password", envvar="COURIER_NEW_PASSWORD", help="asked for when not given")
def user_add(
    login: str,
    name: str,
    roles: tuple[str, ...],
    phone: str | None,
    email: str | None,
    password: str | None,
) -> None:
    """Add a user."""
    if password is None:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise click.ClickException("the passwords differ")
    try:
        check_new_password(password, login, name, phone or "", email or "")
        settings = _settings()
        with _transaction() as session:
            create_user(
                session,
                login,
                password,
                name,
                {Role(r) for r in roles},
                phone=mobile_number(phone, settings.phone_regions) if phone else None,
                email=email,
            )
            audit.record(session, None, "user.add", login, {"roles": sorted(roles)}, address="cli")
    except DomainError as error:
        _fail(error)
    click.echo(f"added {login} ({', '.join(roles)})")


@main.group("holidays")
def holidays_group() -> None:
    """The holiday table behind every due date."""


@holidays_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def holidays_import(path: str) -> None:
    """Import a year's official schedule (CSV date,kind,name,name_en or YAML); replaces the year."""
    from core.workdays import import_schedule, parse_schedule

    text = Path(path).read_text(encoding="utf-8-sig")
    try:
        with _transaction() as session:
            years = import_schedule(session, parse_schedule(text, _format_of(path, None)), path)
    except DomainError as error:
        _fail(error)
    click.echo(f"imported the schedule of {', '.join(map(str, years))}")


if __name__ == "__main__":
    main()
