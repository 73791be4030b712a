"""Settings read from environment variables, with defaults that run on a laptop.

:func:`load_settings` is the only place that reads the environment; everything else is given the
:class:`Settings` it builds (``bench/`` keeps its own ``COURIER_BENCH_*`` variables).
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from core.clock import SHANGHAI

DEFAULT_LANGUAGE = "zh_CN"
LANGUAGES = ("zh_CN", "en")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def private_dir(path: Path) -> Path:
    """Create ``path`` readable by its owner only (it holds keys and the embedded database)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def _dev_key(var_dir: Path, name: str) -> str:
    """Return a random key kept under ``var_dir`` so that restarts keep sessions and labels valid.

    Production sets the environment variable; a key that silently changed on every start would
    log everybody out and invalidate every printed label.
    """
    path = var_dir / f"{name}.key"
    if path.exists():
        return path.read_text().strip()
    private_dir(var_dir)
    key = secrets.token_urlsafe(32)
    # Created 0600 from the start: there is no moment at which another user could read it.
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        # Another process of this installation created it first: use theirs.
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as file:
        file.write(key)
    return key


@dataclass(frozen=True)
class NoticeSettings:
    """How the outbox dispatcher treats a notice."""

    #: Failed tries before a notice is given up as dead.
    max_tries: int = 5
    #: Seconds one provider call may take.
    timeout: float = 10.0
    #: Seconds a dispatcher holds a notice it is sending; after that another may ask the
    #: provider about it. Kept above twice the time-out (a provider may still be busy with it).
    lease: float = 120.0


@dataclass(frozen=True)
class RetentionSettings:
    """How long the bridge's logs are kept (``firmware_bridge.retention``)."""

    #: Days an applied device event is kept; unapplied ones and the newest of each controller's
    #: sequence stay whatever their age.
    device_event_days: int = 90
    #: Days a dead letter is kept; one a controller's open gap still counts stays.
    dead_letter_days: int = 180
    #: Rows of each table one run deletes at most, so that a run is one short transaction.
    batch: int = 10_000


@dataclass(frozen=True)
class TwilioSettings:
    """Twilio SMS; without all of sid, token and sender, SMS go to the console sender."""

    account_sid: str = ""
    auth_token: str = ""
    #: The number or messaging service SMS come from (``COURIER_TWILIO_FROM``).
    sender: str = ""
    #: Another address for Twilio's API (a test server, a regional proxy).
    base_url: str | None = None

    @property
    def configured(self) -> bool:
        return bool(self.account_sid and self.auth_token and self.sender)


@dataclass(frozen=True)
class WeComSettings:
    """WeCom application messages; without all three ids, WeChat notices go to the console."""

    corp_id: str = ""
    secret: str = ""
    agent_id: str = ""
    #: Another address for WeCom's API (a test server).
    base_url: str | None = None

    @property
    def configured(self) -> bool:
        return bool(self.corp_id and self.secret and self.agent_id)


@dataclass(frozen=True)
class Settings:
    """Runtime configuration; build it with :func:`load_settings`."""

    database_url: str
    mqtt_url: str | None
    secret_key: str
    label_key: str
    #: Derives each locker controller's pickup-code key; never stored in the database.
    code_key: str
    host: str = "127.0.0.1"
    port: int = 8000
    #: Pages' language unless the visitor chose one; notices' for people who chose none.
    language: str = DEFAULT_LANGUAGE
    max_upload_bytes: int = 10 * 1024 * 1024
    #: The address people reach the site at; label QR codes point there.
    public_url: str = ""
    production: bool = False
    #: Where the embedded defaults keep their files (SQLite database, keys, broker, simulators).
    var_dir: Path = Path("var")
    #: A font file with Chinese glyphs for labels; ``None`` looks for one on the system.
    label_font: str | None = None
    log_level: str = "INFO"
    #: Reverse proxies in front of the app whose X-Forwarded-* headers are trusted (0: none).
    proxy_hops: int = 0
    #: Where throttle counters live: ``memory://`` (one process), ``redis://host:port/db``.
    throttle_storage_uri: str = "memory://"
    #: Regions whose mobile numbers are accepted (ISO codes; mainland China by default).
    phone_regions: tuple[str, ...] = ("CN",)
    #: Largest catalog import read, checked before parsing.
    max_import_bytes: int = 1024 * 1024
    #: Where the display boards' push server listens (``courier push``; ``courier run`` starts
    #: it). Without a proxy in front, boards reach it on this port of the site's host.
    push_port: int = 8001
    #: Display streams open at once, per address and overall.
    max_streams_per_address: int = 10
    max_streams: int = 250
    #: How long a password-set link an administrator sends stays usable.
    password_link_hours: int = 48
    #: Working days a poor rating's follow-up (整改) is given.
    follow_up_days: int = 5
    #: Seconds a window waits before calling a ticket again (a no-show takes calls this far apart).
    recall_delay: int = 300
    #: The MQTT bridges' partitions: each a set of campus codes; empty: one partition of all.
    bridge_partitions: tuple[tuple[str, ...], ...] = ()
    notices: NoticeSettings = field(default_factory=NoticeSettings)
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    twilio: TwilioSettings = field(default_factory=TwilioSettings)
    wecom: WeComSettings = field(default_factory=WeComSettings)

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def tz(self) -> ZoneInfo:
        """The campus time zone; the product serves mainland China only (see core.clock)."""
        return SHANGHAI


def _one_of(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise RuntimeError(f"{name} must be one of {', '.join(allowed)}")
    return value


_CAMPUS_CODE = re.compile(r"[A-Za-z0-9-]+")


def parse_partitions(text: str) -> tuple[tuple[str, ...], ...]:
    """``"DJ,NH;XL;ZS"``: partitions separated by ``;``, a partition's campus codes by ``,``.
    A campus may be in one partition only; an empty text is one partition of every campus."""
    partitions = tuple(
        tuple(code.strip() for code in part.split(",") if code.strip())
        for part in text.split(";")
        if part.strip()
    )
    codes = [code for part in partitions for code in part]
    bad = [code for code in codes if not _CAMPUS_CODE.fullmatch(code)]
    if bad:
        raise RuntimeError(f"COURIER_BRIDGE_PARTITIONS: {bad[0]!r} is no campus code")
    twice = sorted({code for code in codes if codes.count(code) > 1})
    if twice:
        raise RuntimeError(f"COURIER_BRIDGE_PARTITIONS: {', '.join(twice)} in two partitions")
    return partitions


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read settings from ``environ`` (``os.environ`` by default).

    README.md's configuration table lists every variable, its default and its meaning.
    """
    env = os.environ if environ is None else environ
    production = env.get("COURIER_ENV", "development") == "production"
    secret_key = env.get("COURIER_SECRET_KEY")
    label_key = env.get("COURIER_LABEL_KEY")
    code_key = env.get("COURIER_CODE_KEY")
    if production and not (secret_key and label_key and code_key):
        raise RuntimeError(
            "COURIER_SECRET_KEY, COURIER_LABEL_KEY and COURIER_CODE_KEY must be set when "
            "COURIER_ENV=production"
        )
    language = env.get("COURIER_LANGUAGE", DEFAULT_LANGUAGE).replace("-", "_")
    language = _one_of("COURIER_LANGUAGE", language, LANGUAGES)
    log_level = _one_of(
        "COURIER_LOG_LEVEL", env.get("COURIER_LOG_LEVEL", "INFO").upper(), LOG_LEVELS
    )
    notices = NoticeSettings()
    retention = RetentionSettings()
    var_dir = Path(env.get("COURIER_VAR_DIR") or "var")
    return Settings(
        database_url=env.get("COURIER_DATABASE_URL")
        or f"sqlite:///{(var_dir / 'courier.sqlite3').resolve()}",
        mqtt_url=env.get("COURIER_MQTT_URL") or None,
        secret_key=secret_key or _dev_key(var_dir, "secret"),
        label_key=label_key or _dev_key(var_dir, "label"),
        code_key=code_key or _dev_key(var_dir, "code"),
        host=env.get("COURIER_HOST", "127.0.0.1"),
        port=int(env.get("COURIER_PORT", "8000")),
        language=language,
        production=production,
        public_url=env.get("COURIER_PUBLIC_URL", ""),
        var_dir=var_dir,
        label_font=env.get("COURIER_LABEL_FONT") or None,
        log_level=log_level,
        proxy_hops=max(0, int(env.get("COURIER_PROXY_HOPS", "0"))),
        throttle_storage_uri=env.get("COURIER_THROTTLE_STORAGE", "memory://"),
        phone_regions=tuple(
            region.strip().upper()
            for region in env.get("COURIER_PHONE_REGIONS", "CN").split(",")
            if region.strip()
        ),
        max_import_bytes=int(env.get("COURIER_MAX_IMPORT_BYTES", str(1024 * 1024))),
        push_port=int(env.get("COURIER_PUSH_PORT") or int(env.get("COURIER_PORT", "8000")) + 1),
        max_streams_per_address=int(env.get("COURIER_MAX_STREAMS_PER_ADDRESS", "10")),
        max_streams=int(env.get("COURIER_MAX_STREAMS", "250")),
        password_link_hours=max(1, int(env.get("COURIER_PASSWORD_LINK_HOURS", "48"))),
        follow_up_days=max(1, int(env.get("COURIER_FOLLOW_UP_DAYS", "5"))),
        recall_delay=max(0, int(env.get("COURIER_RECALL_DELAY", "300"))),
        bridge_partitions=parse_partitions(env.get("COURIER_BRIDGE_PARTITIONS", "")),
        notices=NoticeSettings(
            max_tries=max(1, int(env.get("COURIER_NOTIFY_MAX_TRIES", notices.max_tries))),
            timeout=float(env.get("COURIER_NOTIFY_TIMEOUT", notices.timeout)),
            lease=float(env.get("COURIER_NOTIFY_LEASE", notices.lease)),
        ),
        retention=RetentionSettings(
            device_event_days=max(
                1, int(env.get("COURIER_DEVICE_EVENT_DAYS", retention.device_event_days))
            ),
            dead_letter_days=max(
                1, int(env.get("COURIER_DEAD_LETTER_DAYS", retention.dead_letter_days))
            ),
            batch=max(1, int(env.get("COURIER_RETENTION_BATCH", retention.batch))),
        ),
        twilio=TwilioSettings(
            account_sid=env.get("COURIER_TWILIO_ACCOUNT_SID", ""),
            auth_token=env.get("COURIER_TWILIO_AUTH_TOKEN", ""),
            sender=env.get("COURIER_TWILIO_FROM", ""),
            base_url=env.get("COURIER_TWILIO_BASE_URL") or None,
        ),
        wecom=WeComSettings(
            corp_id=env.get("COURIER_WECOM_CORP_ID", ""),
            secret=env.get("COURIER_WECOM_SECRET", ""),
            agent_id=env.get("COURIER_WECOM_AGENT_ID", ""),
            base_url=env.get("COURIER_WECOM_BASE_URL") or None,
        ),
    )
