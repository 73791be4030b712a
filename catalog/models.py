"""Catalog tables."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import clock
from core.db import Base, value_enum


class Channel(enum.StrEnum):
    ONLINE = "online"
    WINDOW = "window"
    SELF_SERVICE = "self_service"
    COURIER_PROXY = "courier_proxy"


class LocationKind(enum.StrEnum):
    HALL = "hall"
    OFFICE = "office"
    SHUTTLE_STOP = "shuttle_stop"
    LOCKER_SITE = "locker_site"


class ItemStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


class SlaStart(enum.StrEnum):
    """When an item's time limit starts to run."""

    ACCEPTED = "accepted"  # at 受理: the agent clerk takes the papers (shuttle time excluded)
    SUBMITTED = "submitted"  # when the submitter registers the consignment


class MaterialForm(enum.StrEnum):
    ORIGINAL = "original"
    COPY = "copy"


class Campus(Base):
    __tablename__ = "campuses"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    address: Mapped[str] = mapped_column(String(200), default="")


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(150), default="")
    campus_id: Mapped[int] = mapped_column(ForeignKey("campuses.id"), index=True)
    phone: Mapped[str] = mapped_column(String(40), default="")
    office: Mapped[str] = mapped_column(String(200), default="")

    campus: Mapped[Campus] = relationship(lazy="joined")


class Location(Base):
    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(150), default="")
    campus_id: Mapped[int] = mapped_column(ForeignKey("campuses.id"), index=True)
    kind: Mapped[LocationKind] = mapped_column(value_enum(LocationKind, 16))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    address: Mapped[str] = mapped_column(String(200), default="")

    campus: Mapped[Campus] = relationship(lazy="joined")
    department: Mapped[Department | None] = relationship()


class ServiceCategory(Base):
    """One of the service guide's categories (服务类别), such as 科研事务; ``position`` orders
    them as the guide lists them."""

    __tablename__ = "service_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(150), default="")
    position: Mapped[int] = mapped_column(default=0)


#: An item's category (one at most: the item is the key), kept beside the item's row.
item_categories = Table(
    "service_item_categories",
    Base.metadata,
    Column("item_id", ForeignKey("service_items.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("service_categories.id"), index=True, nullable=False),
)


item_campuses = Table(
    "service_item_campuses",
    Base.metadata,
    Column("item_id", ForeignKey("service_items.id", ondelete="CASCADE"), primary_key=True),
    Column("campus_id", ForeignKey("campuses.id"), primary_key=True),
)


class ItemChannel(Base):
    __tablename__ = "service_item_channels"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("service_items.id", ondelete="CASCADE"), primary_key=True
    )
    channel: Mapped[Channel] = mapped_column(value_enum(Channel, 16), primary_key=True, index=True)


class ServiceItem(Base):
    __tablename__ = "service_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(300), default="")
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    time_limit_days: Mapped[int] = mapped_column(default=0)
    sla_starts: Mapped[SlaStart] = mapped_column(
        value_enum(SlaStart, 12), default=SlaStart.ACCEPTED, server_default="accepted"
    )
    #: ``None`` means free; otherwise what it costs, in words ("每份 2 元").
    fee: Mapped[str | None] = mapped_column(String(200))
    fee_en: Mapped[str] = mapped_column(String(200), default="", server_default="")
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    legal_basis_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    contact: Mapped[str] = mapped_column(String(200), default="")
    contact_en: Mapped[str] = mapped_column(String(200), default="", server_default="")
    description: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    faq: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    status: Mapped[ItemStatus] = mapped_column(
        value_enum(ItemStatus, 12), default=ItemStatus.DRAFT, index=True
    )
    version: Mapped[int] = mapped_column(default=0)
    published_at: Mapped[dt.datetime | None]
    updated_at: Mapped[dt.datetime] = mapped_column(default=clock.now, onupdate=clock.now)
    #: Lower-cased names, pinyin and initials, department and materials: what search matches.
    search_text: Mapped[str] = mapped_column(Text, default="")

    department: Mapped[Department] = relationship(lazy="joined")
    category: Mapped[ServiceCategory | None] = relationship(
        secondary=lambda: item_categories, uselist=False, lazy="joined"
    )
    #: 联审联办: the departments the papers pass through, in order, under one time limit; empty
    #: for an item its department handles alone.
    joint_steps: Mapped[list[JointStep]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="JointStep.position"
    )
    campuses: Mapped[list[Campus]] = relationship(
        secondary=item_campuses, lazy="selectin", order_by=Campus.code
    )
    channel_rows: Mapped[list[ItemChannel]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by=ItemChannel.channel
    )
    materials: Mapped[list[Material]] = relationship(
        back_populates="item",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="Material.position",
    )

    @property
    def channels(self) -> list[Channel]:
        order = list(Channel)
        return sorted((row.channel for row in self.channel_rows), key=order.index)

    @property
    def proxy_allowed(self) -> bool:
        """Whether the courier may carry the papers to the department on the owner's behalf."""
        return any(row.channel == Channel.COURIER_PROXY for row in self.channel_rows)

    @property
    def is_free(self) -> bool:
        return self.fee is None

    @property
    def joint_departments(self) -> list[Department]:
        return [step.department for step in self.joint_steps]


class JointStep(Base):
    """One department of a jointly handled item (联审联办), at its place in the order."""

    __tablename__ = "service_item_joint_steps"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("service_items.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))

    department: Mapped[Department] = relationship(lazy="joined")


class Material(Base):
    __tablename__ = "service_item_materials"
    __table_args__ = (UniqueConstraint("item_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id", ondelete="CASCADE"))
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(300), default="")
    form: Mapped[MaterialForm] = mapped_column(value_enum(MaterialForm, 10))
    copies: Mapped[int] = mapped_column(default=1)
    notes: Mapped[str] = mapped_column(String(500), default="")
    notes_en: Mapped[str] = mapped_column(String(500), default="", server_default="")

    item: Mapped[ServiceItem] = relationship(back_populates="materials")


class Affiliation(Base):
    """Where a person works or studies: their home campus (and department, for staff)."""

    __tablename__ = "affiliations"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    campus_id: Mapped[int] = mapped_column(ForeignKey("campuses.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))

    campus: Mapped[Campus] = relationship(lazy="joined")
    department: Mapped[Department | None] = relationship()
