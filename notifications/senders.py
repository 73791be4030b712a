"""Senders: the console (default), Twilio SMS and WeCom application messages.

A sender either accepts a notice (returning the provider's message id), or raises
:class:`TemporaryFailure` (the provider surely does not have it and may take it later: HTTP 5xx,
throttling, credentials refused, no connection), :class:`PermanentFailure` (no point trying
again: a number the provider refuses) or :class:`OutcomeUnknown` (the request may have reached
the provider: a time-out or a connection dropped after it was sent). After an unknown outcome or a
crash :meth:`Sender.find` tells whether the provider already has a notice; ``None`` means it
surely does not, :class:`CannotTell` that nobody can say, :class:`TemporaryFailure` that the
provider could not be asked just now.

Only the console sender touches the database. Twilio and WeCom are used only when the settings
configure them; a channel without a configured provider goes to the console.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import requests
import urllib3
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import Settings
from core.db import unit_of_work
from notifications.models import Channel, ConsoleMessage

DEFAULT_TIMEOUT = 10.0
TWILIO_API = "https://api.twilio.com"
#: How far before an attempt's start a provider's record of it may be dated (clocks differ).
FIND_MARGIN = dt.timedelta(minutes=5)
#: Messages per page when looking a notice up (Twilio allows up to 1,000).
FIND_PAGE = 200
#: The path of the status callback the web app serves for Twilio.
TWILIO_STATUS_PATH = "/api/notifications/twilio-status"


@dataclass(frozen=True)
class Notice:
    """One outbox row as a sender sees it."""

    outbox_id: int
    channel: str
    recipient: str
    text: str
    attempted_at: dt.datetime
    #: Tries so far, this one included.
    attempts: int = 1
    #: The claim under which a dispatcher holds it (results are recorded only under it).
    claim_token: str = ""


class TemporaryFailure(Exception):
    """The provider may take the notice later."""


class PermanentFailure(Exception):
    """The provider will never take this notice."""


class OutcomeUnknown(Exception):
    """The request may have reached the provider: it must be asked before anything is resent."""


class CannotTell(Exception):
    """The provider cannot say whether it has the notice."""


class Sender(Protocol):
    name: str

    def send(self, notice: Notice) -> str: ...

    def find(self, notice: Notice) -> str | None: ...

    def close(self) -> None: ...


class ConsoleSender:
    """Writes what it would send to ``console_messages`` (shown on the admin page)."""

    name = "console"

    def __init__(self, sessions: Callable[[], Session]) -> None:
        self.sessions = sessions

    def send(self, notice: Notice) -> str:
        with unit_of_work(self.sessions) as session:  # type: ignore[arg-type]
            row = ConsoleMessage(
                outbox_id=notice.outbox_id,
                channel=notice.channel,
                recipient=notice.recipient,
                text=notice.text,
            )
            session.add(row)
            session.flush()
            return f"console-{row.id}"

    def find(self, notice: Notice) -> str | None:
        with self.sessions() as session:
            found = session.scalar(
                select(ConsoleMessage.id).where(ConsoleMessage.outbox_id == notice.outbox_id)
            )
        return None if found is None else f"console-{found}"

    def close(self) -> None:
        """Nothing to close: sessions come from the dispatcher's factory."""


def _twilio_http_client(base_url: str | None, timeout: float) -> Any:
    from twilio.http.http_client import TwilioHttpClient

    class RedirectedHttpClient(TwilioHttpClient):
        """Sends Twilio's requests to ``base_url`` (a test server, a regional proxy)."""

        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            if base_url and url.startswith(TWILIO_API):
                url = base_url.rstrip("/") + url[len(TWILIO_API) :]
            return super().request(method, url, *args, **kwargs)

    return RedirectedHttpClient(timeout=timeout)


class TwilioSender:
    """SMS through Twilio's Messages API, with the official SDK."""

    name = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_: str,
        *,
        base_url: str | None = None,
        status_callback: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        from twilio.rest import Client

        self.from_ = from_
        self.status_callback = status_callback
        self._http = _twilio_http_client(base_url, timeout)
        self.client = Client(account_sid, auth_token, http_client=self._http)

    def send(self, notice: Notice) -> str:
        from twilio.base import values

        with _twilio_errors():
            message = self.client.messages.create(
                to=notice.recipient,
                from_=self.from_,
                body=notice.text,
                status_callback=self.status_callback or values.unset,
            )
        return str(message.sid)

    def find(self, notice: Notice) -> str | None:
        """Twilio has no idempotency key for messages: look for ours among every message from
        our number to the recipient sent since the attempt began (all pages), matching the body.

        Twilio filters ``DateSent`` by day, so the query asks from the attempt's day on and the
        time is compared here; a failed lookup raises :class:`TemporaryFailure` (ask later)."""
        since = notice.attempted_at - FIND_MARGIN
        day = dt.datetime.combine(since.astimezone(dt.UTC).date(), dt.time(), tzinfo=dt.UTC)
        with _twilio_errors(sent=False):
            for message in self.client.messages.stream(
                to=notice.recipient, from_=self.from_, date_sent_after=day, page_size=FIND_PAGE
            ):
                created = message.date_created
                if message.body == notice.text and (created is None or created >= since):
                    return str(message.sid)
        return None

    def close(self) -> None:
        if self._http.session is not None:
            self._http.session.close()


@contextmanager
def _twilio_errors(*, sent: bool = True) -> Iterator[None]:
    """Sorts Twilio's and the network's exceptions into temporary and permanent failures, and,
    for a request that ``sent`` a message, into unknown outcomes."""
    from twilio.base.exceptions import TwilioRestException

    try:
        yield
    except TwilioRestException as error:
        text = f"twilio {error.status}: {error.code} {error.msg}"[:480]
        if error.status in (401, 403, 429) or error.status >= 500:
            raise TemporaryFailure(text) from error
        raise PermanentFailure(text) from error
    except requests.RequestException as error:
        text = f"twilio: {type(error).__name__}"
        if sent and may_have_arrived(error):
            raise OutcomeUnknown(text) from error
        raise TemporaryFailure(text) from error


def may_have_arrived(error: requests.RequestException) -> bool:
    """Whether a failed request may still have reached the server: only a connection that was
    never made (refused, unresolvable, timed out while connecting) proves it did not."""
    if isinstance(error, requests.ConnectTimeout):
        return False
    if isinstance(error, requests.ConnectionError):
        reason = getattr(error.args[0], "reason", None) if error.args else None
        return not isinstance(reason, urllib3.exceptions.NewConnectionError)
    return True


#: WeCom errors worth retrying: busy, and credentials or tokens refused (fixable by an admin).
_WECOM_TEMPORARY = {-1, 40001, 40013, 40014, 40091, 41001, 42001, 45009}


class WeComSender:
    """WeCom (企业微信) application text messages through wechatpy; the token is cached in the
    client and fetched again when it expires or is refused."""

    name = "wecom"

    def __init__(
        self,
        corp_id: str,
        secret: str,
        agent_id: str,
        *,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        from wechatpy.enterprise import WeChatClient

        class Client(WeChatClient):  # type: ignore[misc]
            def fetch_access_token(self) -> Any:
                # wechatpy spells the token URL out in full; follow the base URL instead.
                return self._fetch_access_token(
                    url=f"{self.API_BASE_URL}gettoken",
                    params={"corpid": self.corp_id, "corpsecret": self.secret},
                )

        self.agent_id = agent_id
        self.client = Client(corp_id, secret, timeout=timeout)
        if base_url:
            self.client.API_BASE_URL = base_url.rstrip("/") + "/"

    def send(self, notice: Notice) -> str:
        from wechatpy.exceptions import WeChatClientException

        try:
            result = self.client.message.send_text(self.agent_id, notice.recipient, notice.text)
        except WeChatClientException as error:
            text = f"wecom {error.errcode}: {error.errmsg}"[:480]
            if error.errcode is None or error.errcode in _WECOM_TEMPORARY:
                raise TemporaryFailure(text) from error
            raise PermanentFailure(text) from error
        except requests.RequestException as error:
            text = f"wecom: {type(error).__name__}"
            url = error.request.url if error.request is not None else None
            # A lost answer to the token request leaves the message surely unsent.
            if may_have_arrived(error) and "gettoken" not in (url or ""):
                raise OutcomeUnknown(text) from error
            raise TemporaryFailure(text) from error
        if result.get("invaliduser"):
            raise PermanentFailure(f"wecom: unknown member {notice.recipient}")
        return str(result.get("msgid") or "")

    def find(self, notice: Notice) -> str | None:
        raise CannotTell("WeCom cannot look a message up")

    def close(self) -> None:
        self.client._http.close()


def senders_for(sessions: Callable[[], Session], settings: Settings) -> dict[str, Sender]:
    """One sender per channel: the provider the settings configure, else the console."""
    timeout = settings.notices.timeout
    console = ConsoleSender(sessions)
    senders: dict[str, Sender] = {Channel.SMS: console, Channel.WECHAT: console}
    twilio, wecom = settings.twilio, settings.wecom
    if twilio.configured:
        public = settings.public_url.rstrip("/")
        senders[Channel.SMS] = TwilioSender(
            twilio.account_sid,
            twilio.auth_token,
            twilio.sender,
            base_url=twilio.base_url,
            status_callback=f"{public}{TWILIO_STATUS_PATH}" if public else None,
            timeout=timeout,
        )
    if wecom.configured:
        senders[Channel.WECHAT] = WeComSender(
            wecom.corp_id, wecom.secret, wecom.agent_id, base_url=wecom.base_url, timeout=timeout
        )
    return senders
