"""Notification tables: each user's preferences, and what the console sender "sent"."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core import clock
from core.db import Base, value_enum


class Channel(enum.StrEnum):
    SMS = "sms"
    WECHAT = "wechat"


class ChannelChoice(enum.StrEnum):
    SMS = "sms"
    WECHAT = "wechat"
    BOTH = "both"

    @property
    def channels(self) -> tuple[Channel, ...]:
        if self is ChannelChoice.BOTH:
            return (Channel.SMS, Channel.WECHAT)
        return (Channel(self.value),)


class Preference(Base):
    """How a user wants to be told; users without a row get SMS in Chinese."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    channel: Mapped[ChannelChoice] = mapped_column(
        value_enum(ChannelChoice, 8), default=ChannelChoice.SMS
    )
    language: Mapped[str] = mapped_column(String(8), default="zh_CN")
    #: The user's WeCom member id (WeChat notices go there).
    wechat_id: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(default=clock.now, onupdate=clock.now)


class ConsoleMessage(Base):
    """A notice the console sender would have sent: the default sender writes it down here."""

    __tablename__ = "console_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int] = mapped_column(index=True)
    channel: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
