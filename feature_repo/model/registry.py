"""Models recorded where data scientists look for them: MLflow's model registry.

The tracking and registry store is ``MLFLOW_TRACKING_URI`` when set (an MLflow server, or any URI
MLflow takes), else a local SQLite database under the data directory
(``<data>/models/mlflow.db``, artifacts in ``<data>/models/artifacts``). MLflow's own file store is
in maintenance mode in MLflow 3 (it refuses to start without an opt-out), so the local default is
MLflow's SQLite backend (mlflow-skinny plus alembic and SQLAlchemy, which Feast already installs).

A registered version of a model holds, as version tags and in the run: the feature service and its
version (the pinned view versions, ``view@vN``), the training set's manifest and content fingerprint,
the feature order, the metrics (model and naive baseline) and the library versions. The fitted
learner is the run's artifact ``learner.joblib`` (our own file, loaded only from our own store).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import joblib

from feature_repo.core.errors import FeatureStoreError
from feature_repo.core.paths import data_dir
from feature_repo.model.learner import ChurnLearner

DEFAULT_MODEL = "churn_model"
EXPERIMENT = "delivery-fs churn"
LEARNER_FILE, RECORD_FILE = "learner.joblib", "record.json"
TRACKING_ENV = "MLFLOW_TRACKING_URI"


class ModelRegistryError(FeatureStoreError):
    """A model, version or registry that is not there (or cannot be read)."""


@dataclass(frozen=True)
class ModelRecord:
    """What a registered model version was trained on and how well it did (metadata only)."""

    name: str
    version: str
    feature_service: str
    feature_service_version: str  # the pinned view versions the service read: view@vN,...
    feature_names: list[str]  # the model's input order (the service's output names)
    training_set_manifest: str
    training_set_fingerprint: str  # the manifest's content_sha256
    training_set_path: str  # the training frame (the baseline of drift monitoring)
    metrics: dict[str, float]
    library_versions: dict[str, str]
    trained_at: str
    run_id: str = ""


@dataclass
class ChurnModel:
    """A registered model version, ready to score: its record and its learner."""

    record: ModelRecord
    learner: ChurnLearner

    def predict_proba_rows(self, rows) -> list[float]:
        return self.learner.predict_proba_rows(rows)


def tracking_uri() -> str:
    """``MLFLOW_TRACKING_URI``, or the local SQLite store under the data directory."""
    configured = os.environ.get(TRACKING_ENV)
    if configured:
        return configured
    folder = data_dir() / "models"
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'mlflow.db'}"


def _client():
    """A client of the registry at ``tracking_uri()``, read now (never MLflow's process-wide URI:
    ``mlflow.set_tracking_uri`` also sets ``MLFLOW_TRACKING_URI`` in the environment, which would
    pin every later call and every child process to the first data directory)."""
    # MLflow's SQL store configures SQLAlchemy with a loader SQLAlchemy 2.1 deprecates: a warning a
    # user cannot act on (ignored for that message from MLflow's modules only)
    warnings.filterwarnings("ignore", message=".*noload.*", module=r"mlflow\.")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # local files: instant
    from mlflow import MlflowClient

    for name in ("mlflow", "alembic"):  # their INFO lines (database migrations) are not ours
        logging.getLogger(name).setLevel(logging.WARNING)

    uri = tracking_uri()
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def register_model(record: ModelRecord, learner: ChurnLearner) -> ModelRecord:
    """Log the learner and its facts as an MLflow run and register it as a new version."""
    client = _client()
    experiment = client.get_experiment_by_name(EXPERIMENT)
    if experiment is None:
        artifacts = None  # a server keeps its own; a local database keeps them beside it
        uri = tracking_uri()
        if uri.startswith("sqlite:///"):
            artifacts = (
                (Path(uri.removeprefix("sqlite:///")).parent / "artifacts").resolve().as_uri()
            )
        experiment_id = client.create_experiment(EXPERIMENT, artifact_location=artifacts)
    else:
        experiment_id = experiment.experiment_id
    run = client.create_run(experiment_id, run_name=record.name)
    run_id = run.info.run_id
    try:
        params = {"feature_service": record.feature_service,
                  "training_set_fingerprint": record.training_set_fingerprint,
                  "features": len(record.feature_names)}  # fmt: skip
        for key, value in params.items():
            client.log_param(run_id, key, value)
        for key, value in record.metrics.items():
            client.log_metric(run_id, key, value)
        with tempfile.TemporaryDirectory() as folder:
            joblib.dump(learner, Path(folder) / LEARNER_FILE)
            client.log_artifact(run_id, str(Path(folder) / LEARNER_FILE))
        client.log_dict(run_id, asdict(record), RECORD_FILE)
    except BaseException:
        client.set_terminated(run_id, status="FAILED")
        raise
    client.set_terminated(run_id)
    try:
        client.get_registered_model(record.name)
    except Exception:  # noqa: BLE001 - MLflow raises its own RESOURCE_DOES_NOT_EXIST error
        client.create_registered_model(record.name, description="30-day churn of a user")
    tags = {
        "feature_service": record.feature_service,
        "feature_service_version": record.feature_service_version,
        "training_set_fingerprint": record.training_set_fingerprint,
        "training_set_manifest": record.training_set_manifest,
        "feature_names": json.dumps(record.feature_names),
        "library_versions": json.dumps(record.library_versions),
    }
    version = client.create_model_version(
        record.name, f"runs:/{run_id}/{LEARNER_FILE}", run_id=run_id, tags=tags
    )
    return ModelRecord(**{**asdict(record), "version": str(version.version),
                          "run_id": run_id})  # fmt: skip


def model_record(name: str = DEFAULT_MODEL, version: str | None = None) -> ModelRecord:
    """The record of ``name`` at ``version`` (None: the latest version)."""
    return _load(name, version, learner=False)[0]


def load_model(name: str = DEFAULT_MODEL, version: str | None = None) -> ChurnModel:
    """The registered model ``name`` at ``version`` (None: the latest), ready to score."""
    record, learner = _load(name, version, learner=True)
    return ChurnModel(record, learner)


def _load(name: str, version: str | None, learner: bool) -> tuple[ModelRecord, ChurnLearner | None]:
    hint = "train one with `delivery-fs train`"
    uri = tracking_uri()
    if uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///")).exists():
        # a reader never creates the database: MLflow would create and migrate it, and the
        # workers of a service starting at once would migrate it together and break it
        raise ModelRegistryError(f"no model registry at {uri} yet: {hint}.")
    client = _client()
    try:
        versions = client.search_model_versions(f"name = '{name}'")
    except Exception as error:  # noqa: BLE001 - any store error: say where and what to do
        raise ModelRegistryError(f"model registry {tracking_uri()}: {error} ({hint})") from error
    if not versions:
        raise ModelRegistryError(f"no model '{name}' in the registry {tracking_uri()}: {hint}.")
    chosen = (
        max(versions, key=lambda v: int(v.version))
        if version is None
        else next((v for v in versions if str(v.version) == str(version)), None)
    )
    if chosen is None:
        known = ", ".join(sorted((str(v.version) for v in versions), key=int))
        raise ModelRegistryError(f"model '{name}' has no version {version} (versions: {known}).")
    try:
        facts, fitted = _artifacts(client, chosen.run_id, learner)
    except Exception as error:  # noqa: BLE001 - MLflow's errors: say which version and what to do
        raise ModelRegistryError(
            f"model '{name}' version {chosen.version} (run {chosen.run_id}) cannot be read from "
            f"{tracking_uri()}: {error} Retrain it (`delivery-fs train`) or pick another version."
        ) from error
    facts.update(version=str(chosen.version), run_id=chosen.run_id, name=name)
    return ModelRecord(**facts), fitted


def _artifacts(client, run_id: str, learner: bool) -> tuple[dict, ChurnLearner | None]:
    with tempfile.TemporaryDirectory() as folder:
        path = client.download_artifacts(run_id, RECORD_FILE, folder)
        facts = json.loads(Path(path).read_text())
        fitted = None
        if learner:
            fitted = joblib.load(client.download_artifacts(run_id, LEARNER_FILE, folder))
    return facts, fitted
