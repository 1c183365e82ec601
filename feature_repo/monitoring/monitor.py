"""``delivery-fs monitor``: the features a model reads, served in a window, against its training set."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from feast import FeatureStore

from feature_repo.core.errors import FeatureStoreError
from feature_repo.core.paths import data_dir
from feature_repo.model.registry import model_record
from feature_repo.monitoring.drift import FeatureDrift, Thresholds, drift_of
from feature_repo.monitoring.report import write_reports
from feature_repo.monitoring.window import logged_window, offline_window, training_sample


class MonitoringError(FeatureStoreError):
    """A window or baseline that cannot be compared."""


@dataclass(frozen=True)
class MonitorResult:
    summary: dict
    drifts: list[FeatureDrift]
    json_report: Path
    html_report: Path

    @property
    def drifted(self) -> list[str]:
        return [d.feature for d in self.drifts if d.drifted]


def monitor(
    store: FeatureStore, model: str, since: datetime, until: datetime, out: Path | None = None,
    limits: Thresholds | None = None, baseline_path: Path | None = None,
) -> MonitorResult:  # fmt: skip
    """Compare the window [since, until) with the training set of the latest version of ``model``."""
    limits = limits or Thresholds()
    record = model_record(model)
    path = baseline_path or Path(record.training_set_path)
    if not path.exists():
        raise MonitoringError(f"{path}: the training set of {model} v{record.version} is gone.")
    features = record.feature_names
    baseline, baseline_rows = training_sample(path, [*features, "user_id"])
    service = store.get_feature_service(record.feature_service)
    views = {f.name: p.name_to_use() for p in service.feature_view_projections for f in p.features}
    folder = data_dir() / "feature_logs" / record.feature_service
    window = logged_window(folder, {f: views[f] for f in features}, since, until)
    if window is None:
        window = offline_window(store, record.feature_service, baseline["user_id"].unique(),
                                since, until)  # fmt: skip
    current = window.frame
    drifts = drift_of(baseline, current, features, limits)
    summary = {
        "service": record.feature_service, "model": f"{record.name} v{record.version}",
        "since": since.isoformat(), "until": until.isoformat(), "source": window.source,
        "baseline_rows": baseline_rows, "baseline_compared_rows": len(baseline),
        "current_rows": window.rows, "compared_rows": len(current),
        "freshness_hours": window.freshness_hours,
        "drifted": [d.feature for d in drifts if d.drifted], "thresholds": limits.__dict__,
    }  # fmt: skip
    folder = out or data_dir() / "monitoring" / record.feature_service
    json_path, html_path = write_reports(summary, drifts, baseline, current, folder)
    return MonitorResult(summary, drifts, json_path, html_path)
