"""The registry file is replaced whole: a reader in another process never sees it half written.

With Feast's own ``FileRegistryStore`` (which empties the file, then writes it) a reader looping
while a writer rewrites the registry finds it empty or truncated most of the time (two thirds of
the reads when measured here); with ``AtomicFileRegistryStore`` never. Stock Feast reads what it
writes, and the profiles select it.
"""

from __future__ import annotations

import multiprocessing
import shutil
import time
from pathlib import Path

import pytest
import yaml
from feast.infra.registry.file import FileRegistryStore
from feast.protos.feast.core.Registry_pb2 import Registry as RegistryProto
from feast.repo_config import RegistryConfig

from feature_repo.core.paths import REPO_ROOT
from feature_repo.repository.registry_store import AtomicFileRegistryStore

SECONDS = 2.0
VIEW = "user_order_ledger"
PROFILES = ["feature_store.yaml", "profiles/feature_store.redis.yaml",
            "profiles/feature_store.redis_cluster.yaml", "profiles/feature_store.spark.yaml",
            "profiles/feature_store.secure.yaml"]  # fmt: skip


def _reads(path: str, started, stop, answers) -> None:
    """Read and parse the registry until ``stop``; count the reads that miss the view (or fail)."""
    reads = broken = 0
    started.set()
    while not stop.is_set():
        proto = RegistryProto()
        try:
            proto.ParseFromString(Path(path).read_bytes())
            broken += not any(view.spec.name == VIEW for view in proto.feature_views)
        except Exception:  # noqa: BLE001 - a truncated message is what is counted
            broken += 1
        reads += 1
    answers.put((reads, broken))


def _race(store_class, registry: Path) -> tuple[int, int, int]:
    """(writes, reads, broken reads) while this process rewrites and another one reads."""
    store = store_class(RegistryConfig(path=str(registry)), registry.parent)
    proto = store.get_registry_proto()
    context = multiprocessing.get_context("spawn")
    started, stop, answers = context.Event(), context.Event(), context.Queue()
    reader = context.Process(target=_reads, args=(str(registry), started, stop, answers))
    reader.start()
    assert started.wait(timeout=60), "the reader did not start"
    writes, end = 0, time.monotonic() + SECONDS
    while time.monotonic() < end:
        store.update_registry_proto(proto)
        writes += 1
    stop.set()
    reads, broken = answers.get(timeout=30)
    reader.join(timeout=30)
    return writes, reads, broken


@pytest.fixture
def registry(tmp_path, applied_registry):
    path = tmp_path / "registry.db"
    shutil.copy(applied_registry, path)
    return path


@pytest.fixture(scope="module")
def applied_registry(tmp_path_factory):
    """A registry of the project's definitions, written by `feast apply`."""
    from tests.cli_runner import run_cli

    directory = tmp_path_factory.mktemp("registry")
    config = yaml.safe_load((REPO_ROOT / "feature_store.yaml").read_text())
    config["registry"]["path"] = str(directory / "registry.db")
    config["online_store"]["path"] = str(directory / "online_store.db")
    (directory / "feature_store.yaml").write_text(yaml.safe_dump(config))
    run_cli("feast", "-f", str(directory / "feature_store.yaml"), "apply")
    return directory / "registry.db"


@pytest.mark.integration
def test_feasts_own_store_is_read_half_written(registry):
    writes, reads, broken = _race(FileRegistryStore, registry)
    assert writes > 100 and reads > 100, (writes, reads)
    assert broken > 0, (writes, reads, broken)  # the race this store class closes


@pytest.mark.integration
def test_the_atomic_store_is_never_read_half_written(registry):
    writes, reads, broken = _race(AtomicFileRegistryStore, registry)
    assert writes > 100 and reads > 100, (writes, reads)
    assert broken == 0, (writes, reads, broken)
    assert not list(registry.parent.glob(".*.tmp"))
    stock = FileRegistryStore(RegistryConfig(path=str(registry)), registry.parent)
    assert VIEW in {v.spec.name for v in stock.get_registry_proto().feature_views}


def test_every_profile_with_a_local_file_registry_selects_it():
    for name in PROFILES:
        registry = yaml.safe_load((REPO_ROOT / name).read_text())["registry"]
        assert registry["registry_type"] == "file", name
        assert registry["registry_store_type"] == (
            "feature_repo.repository.registry_store.AtomicFileRegistryStore"
        ), name
