"""Settings read from environment variables, with defaults that run on a laptop."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

#: Where the embedded defaults keep their files (SQLite database, generated keys).
VAR_DIR = Path(os.environ.get("COURIER_VAR_DIR", "var"))

DEFAULT_TIMEZONE = "Asia/Shanghai"
DEFAULT_LANGUAGE = "zh_CN"
LANGUAGES = ("zh_CN", "en")


def _dev_key(name: str) -> str:
    """Return a random key kept under ``var/`` so that restarts keep sessions and labels valid.

    Production sets the environment variable; a key that silently changed on every start would
    log everybody out and invalidate every printed label.
    """
    path = VAR_DIR / f"{name}.key"
    if path.exists():
        return path.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


@dataclass(frozen=True)
class Settings:
    """Runtime configuration; build it with :func:`load_settings`."""

    database_url: str
    mqtt_url: str | None
    secret_key: str
    label_key: str
    host: str = "127.0.0.1"
    port: int = 8000
    timezone: str = DEFAULT_TIMEZONE
    language: str = DEFAULT_LANGUAGE
    max_upload_bytes: int = 10 * 1024 * 1024
    #: The address people reach the site at; label QR codes point there.
    public_url: str = ""
    production: bool = False

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def default_database_url() -> str:
    return f"sqlite:///{(VAR_DIR / 'courier.sqlite3').resolve()}"


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read settings from ``environ`` (``os.environ`` by default).

    ``COURIER_DATABASE_URL``  database (default: ``sqlite:///var/courier.sqlite3``)
    ``COURIER_MQTT_URL``      MQTT broker (default: the broker ``courier run`` starts)
    ``COURIER_SECRET_KEY``    signs web sessions (default: a key generated under ``var/``)
    ``COURIER_LABEL_KEY``     signs label codes (default: a key generated under ``var/``)
    ``COURIER_HOST`` / ``COURIER_PORT``  where the web server listens (127.0.0.1:8000)
    ``COURIER_PUBLIC_URL``    the site's public address, printed in label QR codes
    ``COURIER_TIMEZONE``      Asia/Shanghai;  ``COURIER_LANGUAGE``  zh_CN or en
    ``COURIER_ENV``           ``production`` refuses generated keys and demo users
    """
    env = os.environ if environ is None else environ
    production = env.get("COURIER_ENV", "development") == "production"
    secret_key = env.get("COURIER_SECRET_KEY")
    label_key = env.get("COURIER_LABEL_KEY")
    if production and not (secret_key and label_key):
        raise RuntimeError(
            "COURIER_SECRET_KEY and COURIER_LABEL_KEY must be set when COURIER_ENV=production"
        )
    language = env.get("COURIER_LANGUAGE", DEFAULT_LANGUAGE).replace("-", "_")
    if language not in LANGUAGES:
        raise RuntimeError(f"COURIER_LANGUAGE must be one of {', '.join(LANGUAGES)}")
    timezone = env.get("COURIER_TIMEZONE", DEFAULT_TIMEZONE)
    ZoneInfo(timezone)
    return Settings(
        database_url=env.get("COURIER_DATABASE_URL") or default_database_url(),
        mqtt_url=env.get("COURIER_MQTT_URL") or None,
        secret_key=secret_key or _dev_key("secret"),
        label_key=label_key or _dev_key("label"),
        host=env.get("COURIER_HOST", "127.0.0.1"),
        port=int(env.get("COURIER_PORT", "8000")),
        timezone=timezone,
        language=language,
        production=production,
        public_url=env.get("COURIER_PUBLIC_URL", ""),
    )
