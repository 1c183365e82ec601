"""Training the churn model (`delivery-fs train`): a time-based split that leaks nothing, metrics
equal to scikit-learn's computed again on the returned scores, a model that beats the naive
baseline, a registry record that holds the facts, and one scoring path equal to scikit-learn's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from feature_repo.model.registry import ModelRegistryError, load_model, model_record
from feature_repo.training.churn import train_churn_model
from feature_repo.training.sets import TrainingSetManifest

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        uri = f"sqlite:///{tmp_path_factory.mktemp('models') / 'mlflow.db'}"
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        yield uri


@pytest.fixture(scope="module")
def trained(store, registry):
    return train_churn_model(store, eval_months=1, name="churn_test")


def test_no_evaluation_month_is_in_training(trained):
    frame = pd.read_parquet(trained.record.training_set_path)
    months = frame["event_timestamp"].dt.strftime("%Y-%m")
    assert trained.eval_months == [months.max()]
    assert set(trained.train_months) == set(months) - set(trained.eval_months)
    first_eval = frame.loc[months.isin(trained.eval_months), "event_timestamp"].min()
    train_rows = frame[~months.isin(trained.eval_months)]
    # a training row's label looks 30 days ahead: it must end by the first evaluation instant
    assert (train_rows["event_timestamp"] + pd.Timedelta(days=30)).max() <= first_eval
    assert trained.record.metrics["train_rows"] == len(train_rows)
    assert trained.record.metrics["eval_rows"] == len(trained.evaluation)


def test_metrics_are_sklearns_and_the_model_beats_the_baseline(trained):
    evaluation, metrics = trained.evaluation, trained.record.metrics
    label = evaluation["churned"]
    assert metrics["model_roc_auc"] == pytest.approx(roc_auc_score(label, evaluation["model"]))
    assert metrics["model_pr_auc"] == pytest.approx(
        average_precision_score(label, evaluation["model"])
    )
    assert metrics["baseline_roc_auc"] == pytest.approx(
        roc_auc_score(label, evaluation["baseline"])
    )
    assert metrics["eval_churn_rate"] == pytest.approx(label.mean())
    assert metrics["model_roc_auc"] > metrics["baseline_roc_auc"] > 0.6


def test_the_record_holds_the_facts(trained, registry):
    record = model_record("churn_test")
    assert record == trained.record and record.version == "1"
    manifest = TrainingSetManifest.read(pd.io.common.Path(record.training_set_manifest))
    assert record.training_set_fingerprint == manifest.content_sha256
    assert record.feature_service == manifest.feature_service == "churn_model_v1"
    assert record.feature_service_version == ",".join(
        sorted({ref.split(":")[0] for ref in manifest.feature_refs})
    )
    served = [ref.split(":")[1] for ref in manifest.feature_refs]
    assert record.feature_names == [n for n in served if n != "last_order_at"]  # no timestamps
    assert {"feast", "scikit-learn", "mlflow-skinny"} <= set(record.library_versions)
    assert set(record.metrics) >= {
        "model_roc_auc",
        "model_pr_auc",
        "baseline_roc_auc",
        "model_brier",
    }


def test_the_scoring_path_equals_sklearns_and_the_registered_model(trained, registry):
    frame = pd.read_parquet(trained.record.training_set_path)
    rows = frame[trained.record.feature_names].to_dict("records")
    ours = np.asarray(trained.learner.predict_proba_rows(rows))
    theirs = trained.learner.estimator.predict_proba(trained.learner.matrix(rows))[:, 1]
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)
    unseen = [{**row, "neighborhood": "Atlantis", "order_count_30d": None} for row in rows[:200]]
    np.testing.assert_allclose(
        trained.learner.predict_proba_rows(unseen),
        trained.learner.estimator.predict_proba(trained.learner.matrix(unseen))[:, 1],
        rtol=0, atol=1e-12,
    )  # fmt: skip
    loaded = load_model("churn_test", "1")
    np.testing.assert_array_equal(loaded.predict_proba_rows(rows[:500]), ours[:500])


def test_a_second_training_is_a_new_version_and_a_missing_one_is_named(store, trained, registry):
    again = train_churn_model(store, eval_months=2, name="churn_test")
    assert again.record.version == "2" and load_model("churn_test").record.version == "2"
    assert len(again.eval_months) == 2
    with pytest.raises(ModelRegistryError, match="no version 9"):
        load_model("churn_test", "9")
    with pytest.raises(ModelRegistryError, match="delivery-fs train"):
        model_record("no_such_model")


def test_the_local_registry_follows_the_data_directory(trained, tmp_path, monkeypatch):
    """Reading the registry leaves the environment alone: without ``MLFLOW_TRACKING_URI`` the
    registry is the data directory's, in this process and in the processes it starts."""
    import os

    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    for name in ("first", "second"):
        monkeypatch.setenv("DELIVERY_FS_DATA_DIR", str(tmp_path / name))
        with pytest.raises(ModelRegistryError, match=str(tmp_path / name / "models")):
            load_model("churn_test")
        assert "MLFLOW_TRACKING_URI" not in os.environ


def test_reading_a_registry_that_does_not_exist_creates_nothing(tmp_path, monkeypatch):
    """The scoring service's workers read the registry when they start: reading must not create
    the local database (MLflow would create and migrate it, two workers at once breaking it)."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("DELIVERY_FS_DATA_DIR", str(tmp_path))
    with pytest.raises(ModelRegistryError, match="no model registry at .* yet: train one"):
        load_model("churn_test")
    assert not (tmp_path / "models" / "mlflow.db").exists()
