"""Partitions: what a partition's bridge subscribes to, its client id and lock; on SQLite one
process serves them all."""

import pytest

from firmware_bridge.failover import PartitionHost
from firmware_bridge.partition import EVERY_CAMPUS, Partition, partitions_of
from tests.databases import backend
from tests.factories import LABEL_KEY


def test_a_partitions_bridge_subscribes_to_its_campuses_prefixes_only():
    topics = Partition(("DJ", "NH")).topics()
    assert "cc/v1/DJ/+/evt" in topics
    assert "cc/v1/NH/+/cmd/ack" in topics
    assert not [topic for topic in topics if topic.split("/")[2] not in {"DJ", "NH"}]


def test_each_partition_has_a_client_id_and_a_lock_of_its_own():
    partition = Partition(("DJ", "NH"))
    assert (partition.client_id, partition.lock_name) == (
        "courier-bridge-DJ+NH",
        "bridge-partition:DJ+NH",
    )


def test_the_partition_of_every_campus_keeps_the_single_bridges_client_id():
    assert partitions_of(()) == (EVERY_CAMPUS,)
    assert EVERY_CAMPUS.client_id == "courier-bridge"
    assert EVERY_CAMPUS.topics()[0] == "cc/v1/+/+/evt"


@pytest.mark.skipif(backend() != "sqlite", reason="on PostgreSQL partitions go by their locks")
def test_on_sqlite_one_process_serves_every_partition_without_locks(mosquitto, sessions):
    partitions = partitions_of((("DJ",), ("NH", "XL")))
    host = PartitionHost(mosquitto.address, sessions, LABEL_KEY, partitions, lock_url=None)
    host.start()
    try:
        assert {name: bridge.client._client_id for name, bridge in host.serving.items()} == {
            "DJ": b"courier-bridge-DJ",
            "NH+XL": b"courier-bridge-NH+XL",
        }
    finally:
        host.stop()
