"""Reproducible training sets: a frame, the entity rows it was built from, and a manifest to rebuild it.

The manifest pins every feature to the version of its view (``view@vN:feature``), fingerprints
the definitions and each source file read, and records the time range, the row count and a
hash of the content. Rebuilding from it reads the pinned versions again and compares the hash:
point-in-time joins make the result independent of data that arrived later.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import feast
import pandas as pd
import pyarrow as pa
from feast import FeatureStore, OnDemandFeatureView

from feature_repo.core.atomic_files import write_files_atomically, write_json
from feature_repo.core.errors import FeatureStoreError
from feature_repo.core.feature_refs import FeatureRef, parse_feature_ref
from feature_repo.pipeline.fingerprints import file_fingerprint
from feature_repo.repository.feature_versions import active_version

ROW_ID = "_training_row"


class TrainingSetError(FeatureStoreError):
    """A training set that cannot be built or rebuilt as asked (arguments, manifest, entity rows)."""


@dataclass
class TrainingSetManifest:
    name: str
    feature_service: str
    feature_refs: list[str]
    definitions_sha256: str
    sources: dict[str, dict[str, str]]  # view -> {"path", "sha256"}
    entities_file: str
    entities_sha256: str
    time_range: tuple[str, str]
    rows: int
    content_sha256: str
    created_at: str
    feast_version: str = field(default=feast.__version__)

    @classmethod
    def read(cls, path: Path) -> TrainingSetManifest:
        try:
            return cls(**json.loads(path.read_text()))
        except (OSError, ValueError, TypeError) as error:
            raise TrainingSetError(f"{path}: not a training-set manifest ({error}).") from error


@dataclass(frozen=True)
class RebuildResult:
    manifest: TrainingSetManifest
    content_sha256: str
    changed_sources: list[str]
    definitions_changed: bool

    @property
    def reproduced(self) -> bool:
        return self.content_sha256 == self.manifest.content_sha256

    def summary(self) -> str:
        """One line: rows, whether the content hash matches, and what changed since the build."""
        manifest = self.manifest
        return (
            f"{manifest.name}: {manifest.rows:,} rows; content hash "
            f"{'matches' if self.reproduced else 'DIFFERS'} ({self.content_sha256[:12]} vs {manifest.content_sha256[:12]}); "
            f"sources changed since: {self.changed_sources or 'none'}; pinned definitions changed: {self.definitions_changed}"
        )


FLOAT_DECIMALS = (
    9  # floats are hashed to 1e-9, so that the last bit of a computation does not count
)


def frame_sha256(frame: pd.DataFrame) -> str:
    """A hash of the values, independent of column order; row order is the entity rows' order."""
    columns = sorted(frame.columns)
    canonical = frame[columns].copy()
    floats = canonical.select_dtypes("float").columns
    canonical[floats] = canonical[floats].round(FLOAT_DECIMALS)
    hashed = pd.util.hash_pandas_object(canonical, index=False).to_numpy()
    digest = hashlib.sha256(",".join(columns).encode())
    digest.update(hashed.tobytes())
    return digest.hexdigest()


def pinned_feature_refs(store: FeatureStore, service_name: str) -> list[str]:
    """The service's features as ``view@vN:feature`` for its views' current versions."""
    service = store.get_feature_service(service_name)
    refs = []
    for projection in service.feature_view_projections:
        version = (
            projection.version_tag
            if projection.version_tag is not None
            else active_version(store, projection.name)
        )
        refs += [str(FeatureRef(projection.name, f.name, version)) for f in projection.features]
    return refs


def read_entity_rows(path: Path) -> pd.DataFrame:
    """Entity/label rows from Parquet or CSV, their ``event_timestamp`` in UTC (naive: taken as UTC)."""
    if not path.exists():
        raise TrainingSetError(f"{path}: no such entity file.")
    rows = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    if "event_timestamp" not in rows.columns:
        raise TrainingSetError(
            f"{path}: no 'event_timestamp' column (got {list(rows.columns)}); entity rows need one."
        )
    rows["event_timestamp"] = pd.to_datetime(rows["event_timestamp"], utc=True, format="ISO8601")
    return rows


def build_training_set(
    store: FeatureStore, service_name: str, entities: pd.DataFrame, directory: Path, name: str
) -> TrainingSetManifest:
    """Build ``name`` from a feature service and entity/label rows; write frame, entities and manifest."""
    refs = pinned_feature_refs(store, service_name)
    frame = _retrieve(store, entities, refs)
    entities_path = directory / f"{name}.entities.parquet"
    manifest = TrainingSetManifest(
        name=name,
        feature_service=service_name,
        feature_refs=refs,
        definitions_sha256=_definitions_sha256(store, refs),
        sources=_source_fingerprints(store, refs),
        entities_file=entities_path.name,
        entities_sha256="",
        time_range=(str(entities["event_timestamp"].min()), str(entities["event_timestamp"].max())),
        rows=len(frame),
        content_sha256=frame_sha256(frame),
        created_at=datetime.now(UTC).isoformat(),
    )
    write_files_atomically(
        {
            directory / f"{name}.parquet": lambda p: frame.to_parquet(p, index=False),
            entities_path: lambda p: entities.to_parquet(p, index=False),
        }
    )
    manifest.entities_sha256 = file_fingerprint(entities_path)
    write_files_atomically(
        {directory / f"{name}.manifest.json": lambda p: write_json(p, asdict(manifest))}
    )
    return manifest


def rebuild_training_set(
    store: FeatureStore, manifest_path: Path, out: Path | None = None
) -> RebuildResult:
    """Rebuild from a manifest with the pinned feature versions, and compare its content hash."""
    manifest = TrainingSetManifest.read(manifest_path)
    entities_path = manifest_path.parent / manifest.entities_file
    if not entities_path.exists() or file_fingerprint(entities_path) != manifest.entities_sha256:
        raise TrainingSetError(
            f"{entities_path}: the entity rows of '{manifest.name}' are missing or were modified."
        )
    frame = _retrieve(store, pd.read_parquet(entities_path), manifest.feature_refs)
    if out is not None:
        write_files_atomically({out: lambda p: frame.to_parquet(p, index=False)})
    current = _source_fingerprints(store, manifest.feature_refs)
    changed = sorted(view for view, facts in manifest.sources.items() if current.get(view) != facts)
    return RebuildResult(
        manifest=manifest,
        content_sha256=frame_sha256(frame),
        changed_sources=changed,
        definitions_changed=_definitions_sha256(store, manifest.feature_refs)
        != manifest.definitions_sha256,
    )


def _retrieve(store: FeatureStore, entities: pd.DataFrame, refs: list[str]) -> pd.DataFrame:
    """Features for ``refs`` (``view@vN:feature``), in the entity rows' order.

    Views at their active version are read with plain references (Feast 0.67's alpha versioning
    returns duplicate columns when a pinned reference meets an on-demand view's own input);
    on-demand features are computed here by the pinned version's own function, from inputs read
    the same way, exactly as Feast's python-mode transformation receives them offline.
    """
    on_demand_names = {v.name for v in store.list_on_demand_feature_views()}
    pins = _views_of(refs)
    plain, on_demand = [], {}
    for ref in map(parse_feature_ref, refs):
        view, feature = ref.view, ref.feature
        if view in on_demand_names:
            on_demand.setdefault(view, []).append(feature)
        else:
            plain.append(_fetch_ref(store, view, pins[view], feature))
    transforms = {name: _versioned_view(store, name, pins[name]) for name in on_demand}
    for odfv in transforms.values():
        for source in odfv.source_feature_view_projections.values():
            version = pins.get(source.name, active_version(store, source.name))
            plain += [_fetch_ref(store, source.name, version, f.name) for f in source.features]
    keyed = entities.reset_index(drop=True).assign(**{ROW_ID: lambda f: range(len(f))})
    frame = store.get_historical_features(
        entity_df=keyed, features=list(dict.fromkeys(plain))
    ).to_df()
    frame = frame.sort_values(ROW_ID).drop(columns=ROW_ID).reset_index(drop=True)
    for name, odfv in transforms.items():
        outputs = odfv.feature_transformation.udf(
            pa.Table.from_pandas(frame, preserve_index=False).to_pydict()
        )
        for feature in on_demand[name]:
            frame[feature] = outputs[feature]
    requested = [parse_feature_ref(ref).feature for ref in refs]
    return frame[[*entities.columns, *dict.fromkeys(requested)]]


def _fetch_ref(store: FeatureStore, view: str, version: int, feature: str) -> str:
    pinned = None if version == active_version(store, view) else version
    return str(FeatureRef(view, feature, pinned))


def _versioned_view(store: FeatureStore, name: str, version: int):
    if version == active_version(store, name):
        return store.get_on_demand_feature_view(name)
    return store.registry.get_feature_view_by_version(name, store.project, version)


def _views_of(refs: list[str]) -> dict[str, int]:
    return {ref.view: ref.version or 0 for ref in map(parse_feature_ref, refs)}


def _definitions_sha256(store: FeatureStore, refs: list[str]) -> str:
    digest = hashlib.sha256()
    for view_name, version in sorted(_views_of(refs).items()):
        view = store.registry.get_feature_view_by_version(view_name, store.project, version)
        digest.update(_definition_bytes(view))
    return digest.hexdigest()


def _definition_bytes(view) -> bytes:
    """What defines a view's values. An on-demand view's proto embeds a pickled function whose bytes
    change between serializations, so its source text, sources and schema stand in for it."""
    if isinstance(view, OnDemandFeatureView):
        schema = sorted((f.name, str(f.dtype)) for f in view.features)
        sources = sorted(view.source_feature_view_projections) + sorted(view.source_request_sources)
        udf = getattr(view.feature_transformation, "udf_string", "")
        return json.dumps([view.name, schema, sources, udf]).encode()
    return view.to_proto().spec.SerializeToString(deterministic=True)


def _source_fingerprints(store: FeatureStore, refs: list[str]) -> dict[str, dict[str, str]]:
    fingerprints = {}
    for view_name, version in sorted(_views_of(refs).items()):
        view = store.registry.get_feature_view_by_version(view_name, store.project, version)
        source = getattr(view, "batch_source", None)
        path = getattr(source, "path", None)
        if path and Path(path).exists():
            fingerprints[view_name] = {"path": path, "sha256": file_fingerprint(Path(path))}
    return fingerprints
