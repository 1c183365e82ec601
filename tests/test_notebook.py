"""The training notebook runs end to end on the embedded default and leaves a correct saved dataset."""

import nbformat
import pandas as pd
import pytest
from nbclient import NotebookClient

from feature_repo.core.paths import REPO_ROOT, data_dir
from feature_repo.repository.store import open_store
from tests.independent import expected_user_features

NOTEBOOK = REPO_ROOT / "notebooks" / "training_dataset.ipynb"


@pytest.fixture(scope="module")
def executed(store_config, monkeypatch_module):
    monkeypatch_module.setenv("FEAST_FS_YAML_FILE_PATH", str(store_config))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    ).execute()
    return notebook


def test_notebook_draws_its_plots(executed):
    images = [
        o
        for cell in executed.cells
        if cell.cell_type == "code"
        for o in cell.get("outputs", [])
        if "image/png" in o.get("data", {})
    ]
    assert len(images) == 4  # label balance, distributions, categorical bars, calibration


def test_saved_dataset_holds_correct_labels_and_features(executed, store_config, raw_tables):
    users, transactions = raw_tables
    store = open_store(config_path=store_config)
    saved = store.get_saved_dataset("churn_training_monthly")
    assert saved.tags["label"] == "churned" and saved.feature_service_name == "churn_model_v1"
    frame = pd.read_parquet(data_dir() / "saved_datasets" / "churn_training_monthly.parquet")
    assert frame["event_timestamp"].min() == pd.Timestamp(
        saved.min_event_timestamp, tz="UTC"
    )  # registry keeps UTC, naive
    assert len(frame) > 1_000
    for row in frame.sample(60, random_state=3).itertuples(index=False):
        after = transactions[
            (transactions.user_id == row.user_id)
            & (transactions.transaction_date > row.event_timestamp)
            & (transactions.transaction_date <= row.event_timestamp + pd.Timedelta(days=30))
        ]
        assert row.churned == int(after.empty)
        expected = expected_user_features(users, transactions, row.user_id, row.event_timestamp)
        assert row.order_count_30d == expected["order_count_30d"]
        assert row.tenure_days == expected["tenure_days"]
