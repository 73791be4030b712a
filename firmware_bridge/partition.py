"""A bridge's partition: a set of campuses whose controllers one bridge serves at a time.

Topics carry the campus (``cc/v1/{campus}/{controller}/...``), so a partition subscribes to its
campuses' prefixes and never sees another's messages. Each partition has an MQTT client id and
a persistent session of its own: whichever process serves it resumes the same session and gets
what the broker queued while nobody did.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

#: The channels a bridge reads (docs/mqtt.md).
SUBSCRIPTIONS = ("evt", "status", "hb", "state", "cmd/ack")


@dataclass(frozen=True)
class Partition:
    #: Campus codes; empty: every campus.
    campuses: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """``DJ+NH``, or ``all`` for the partition of every campus."""
        return "+".join(self.campuses) or "all"

    @property
    def client_id(self) -> str:
        """The partition of every campus keeps the single bridge's id, and with it its session."""
        return f"courier-bridge-{self.name}" if self.campuses else "courier-bridge"

    @property
    def lock_name(self) -> str:
        """The advisory lock (``core.db.lock_key``) its bridge holds while serving it."""
        return f"bridge-partition:{self.name}"

    def topics(self) -> list[str]:
        """What its bridge subscribes to: every channel of its campuses' controllers."""
        prefixes = self.campuses or ("+",)
        return [f"cc/v1/{campus}/+/{channel}" for campus in prefixes for channel in SUBSCRIPTIONS]


EVERY_CAMPUS = Partition()


def partitions_of(campus_sets: Iterable[tuple[str, ...]]) -> tuple[Partition, ...]:
    """The configured partitions (``Settings.bridge_partitions``); none: one of every campus."""
    return tuple(Partition(tuple(campuses)) for campuses in campus_sets) or (EVERY_CAMPUS,)
