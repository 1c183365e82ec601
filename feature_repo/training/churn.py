"""Training the churn model on the point-in-time training set of ``churn_model_v1``.

1. Observation rows: every registered user on the first day of each month, from the first month
   after the data starts to the last whose 30-day label window lies inside the data
   (``transforms.labels``).
2. The training set: the feature service's features as of each row, written with its manifest
   (``training.sets.build_training_set``: pinned view versions, content fingerprint).
3. A time-based split: the last ``eval_months`` observation months evaluate, the earlier ones train.
   A training row's label window ends at or before the first evaluation instant, so nothing of an
   evaluation month is in training.
4. Metrics on the evaluation rows (ROC AUC, PR AUC, Brier score) for the model and for a naive
   baseline: days since the last order alone (a user who never ordered ranks highest).
5. The model, its facts and metrics recorded in the model registry (``model.registry``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version

import numpy as np
import pandas as pd
from feast import FeatureStore
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from feature_repo.core.errors import FeatureStoreError
from feature_repo.core.paths import data_dir, raw_dir
from feature_repo.model.learner import ChurnLearner
from feature_repo.model.registry import DEFAULT_MODEL, ModelRecord, register_model
from feature_repo.pipeline.raw_data import raw_file, read_transactions, read_users
from feature_repo.repository.horizon import data_horizon
from feature_repo.training.sets import build_training_set
from feature_repo.transforms.labels import CHURN_WINDOW, churn_labels, observation_grid

SERVICE = "churn_model_v1"
LABEL = "churned"
BASELINE_FEATURE = "days_since_last_order"
LIBRARIES = ("feast", "scikit-learn", "numpy", "pandas", "pyarrow", "duckdb", "mlflow-skinny")


class TrainingError(FeatureStoreError):
    """A model that cannot be trained as asked (too little data, bad split)."""


@dataclass(frozen=True)
class TrainedModel:
    record: ModelRecord
    learner: ChurnLearner
    train_months: list[str]
    eval_months: list[str]
    evaluation: pd.DataFrame  # the evaluation rows: label, model and baseline scores


def observation_rows(horizon: pd.Timestamp) -> pd.DataFrame:
    """Labelled (user, first of month) rows whose label window ends by ``horizon``."""
    users = read_users(raw_file(raw_dir(), "users"))
    orders = read_transactions(raw_file(raw_dir(), "transactions"), users)
    first = orders["transaction_date"].min()
    start = (pd.Timestamp(first).tz_convert("UTC").normalize().replace(day=1)) + pd.DateOffset(
        months=1
    )
    instants = list(pd.date_range(start, horizon - CHURN_WINDOW, freq="MS"))
    rows = churn_labels(observation_grid(users, instants), orders, horizon)
    rows["request_time"] = rows["event_timestamp"]
    return rows


def split_by_month(frame: pd.DataFrame, eval_months: int) -> tuple[pd.Series, list[str], list[str]]:
    """A mask of the evaluation rows (the last ``eval_months`` months), and the months of each side."""
    months = frame["event_timestamp"].dt.strftime("%Y-%m")
    ordered = sorted(months.unique())
    if len(ordered) <= eval_months or eval_months < 1:
        raise TrainingError(
            f"{len(ordered)} observation month(s) ({', '.join(ordered)}): need more than "
            f"--eval-months {eval_months}; build more data or evaluate on fewer months."
        )
    evaluated = ordered[-eval_months:]
    return months.isin(evaluated), ordered[:-eval_months], evaluated


def metrics(label: np.ndarray, score: np.ndarray, prefix: str) -> dict[str, float]:
    return {
        f"{prefix}roc_auc": float(roc_auc_score(label, score)),
        f"{prefix}pr_auc": float(average_precision_score(label, score)),
    }


def baseline_scores(frame: pd.DataFrame) -> np.ndarray:
    """Days since the last order; a user who never ordered ranks above everyone."""
    days = pd.to_numeric(frame[BASELINE_FEATURE], errors="coerce").astype(float)
    return days.fillna(days.max() + 1 if days.notna().any() else 0).to_numpy()


def train_churn_model(
    store: FeatureStore, eval_months: int = 1, name: str = DEFAULT_MODEL
) -> TrainedModel:
    """Build the training set, split by month, fit, evaluate against the baseline, register."""
    horizon = data_horizon()
    rows = observation_rows(horizon)
    folder = data_dir() / "training_sets"
    manifest = build_training_set(store, SERVICE, rows, folder, "churn_model_v1_monthly")
    frame = pd.read_parquet(folder / "churn_model_v1_monthly.parquet")
    evaluated, train_months, eval_months_list = split_by_month(frame, eval_months)
    names = feature_names(frame, manifest.feature_refs)
    learner = ChurnLearner.fit(frame[~evaluated], names, frame.loc[~evaluated, LABEL])
    test = frame[evaluated].reset_index(drop=True)
    label = test[LABEL].to_numpy()
    if len(np.unique(label)) < 2:
        raise TrainingError(f"the evaluation months {eval_months_list} hold one label only.")
    scores = np.asarray(learner.predict_proba_rows(test[names].to_dict("records")))
    baseline = baseline_scores(test)
    measured = {
        **metrics(label, scores, "model_"),
        "model_brier": float(brier_score_loss(label, scores)),
        **metrics(label, baseline, "baseline_"),
        "train_rows": float((~evaluated).sum()),
        "eval_rows": float(len(test)),
        "eval_churn_rate": float(label.mean()),
    }
    views = sorted({ref.split(":")[0] for ref in manifest.feature_refs})
    record = ModelRecord(
        name=name, version="", feature_service=SERVICE, feature_service_version=",".join(views),
        feature_names=names, training_set_manifest=str(folder / f"{manifest.name}.manifest.json"),
        training_set_fingerprint=manifest.content_sha256,
        training_set_path=str(folder / f"{manifest.name}.parquet"), metrics=measured,
        library_versions={lib: version(lib) for lib in LIBRARIES},
        trained_at=datetime.now(UTC).isoformat(),
    )  # fmt: skip
    evaluation = test[["user_id", "event_timestamp", LABEL]].assign(model=scores, baseline=baseline)
    return TrainedModel(register_model(record, learner), learner, train_months, eval_months_list,
                        evaluation)  # fmt: skip


def feature_names(frame: pd.DataFrame, refs: list[str]) -> list[str]:
    """The service's features in its order, without timestamps (a model reads ages, not dates)."""
    names = [ref.split(":", 1)[1] for ref in refs]
    return [n for n in names if not pd.api.types.is_datetime64_any_dtype(frame[n])]
