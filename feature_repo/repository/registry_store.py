"""Feast's file registry, written so that a reader never sees half of it.

Feast 0.67's ``FileRegistryStore`` rewrites the registry file in place (opened for writing, which
empties it, then written). Every ``materialize`` and ``materialize-incremental`` rewrites it (the
materialized intervals), so a process that reloads its registry cache at that moment reads an empty
or truncated file: the soak and the mixed-load benchmark saw pushes fail with
``FeatureViewNotFoundException: Feature view user_order_ledger does not exist`` (an HTTP 500 from
``/push-orders``) while a materialization ran.

``AtomicFileRegistryStore`` is the same store with one change: the new registry is written to a
temporary file beside the registry, flushed to disk, then renamed over it (a rename is atomic on one
filesystem), so a reader gets the previous registry or the new one, whole. The layout is Feast's:
stock Feast reads the file unchanged. Profiles select it with
``registry: {registry_type: file, registry_store_type: <this class>}``.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

from feast.infra.registry.file import FileRegistryStore
from feast.protos.feast.core.Registry_pb2 import Registry as RegistryProto
from feast.repo_config import RegistryConfig


class AtomicFileRegistryStore(FileRegistryStore):
    """A file registry replaced whole on each update (written beside, then renamed)."""

    def __init__(self, registry_config: RegistryConfig, repo_path: Path) -> None:
        super().__init__(registry_config, repo_path)
        path = Path(registry_config.path)
        self.registry_file = path if path.is_absolute() else Path(repo_path) / path

    def update_registry_proto(self, registry_proto: RegistryProto) -> None:
        registry_proto.version_id = str(uuid.uuid4())  # as Feast's store stamps each version
        registry_proto.last_updated.FromDatetime(datetime.now(UTC))
        self.registry_file.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.registry_file.with_name(
            f".{self.registry_file.name}.{uuid.uuid4().hex}.tmp"
        )
        try:
            with open(temporary, mode="wb", buffering=0) as handle:
                handle.write(registry_proto.SerializeToString())
                os.fsync(handle.fileno())
            os.replace(temporary, self.registry_file)
        finally:
            temporary.unlink(missing_ok=True)
