"""Steps of the model section, each run in a fresh process (``Bench.step(..., module=...)``)."""

from __future__ import annotations

import shutil
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from devtools.bench.measure import peak_rss_mb, time_calls
from devtools.bench.steps import main as run_step
from devtools.bench.steps import timed_posts


def churn(config: str, users: list[int], batch: int, calls: int, warm_up: int, mode: str,
          now: str) -> dict[str, Any]:  # fmt: skip
    """``batch`` users per call: ``scorer`` (read + model, as /score/churn) or ``reader`` (the
    lean read of the model's feature service alone)."""
    from feature_repo.model.registry import load_model
    from feature_repo.repository.store import open_store
    from feature_repo.serving.lookup.churn import ChurnScorer
    from feature_repo.serving.lookup.online_features import freeze_long_lived_objects

    scorer = ChurnScorer(open_store(config_path=config), load_model())
    instant = datetime.fromisoformat(now)
    groups = [users[i : i + batch] for i in range(0, len(users) - batch + 1, batch)]
    work = scorer.score if mode == "scorer" else scorer.read
    work(groups[0], instant)
    freeze_long_lived_objects()
    return time_calls(lambda i: work(groups[i % len(groups)], instant), calls, warm_up)


def http_churn(url: str, users: list[int], calls: int, warm_up: int, now: str) -> dict[str, Any]:
    """``POST /score/churn`` for one user, on one kept-alive connection."""
    bodies = [{"user_ids": [u], "as_of": now} for u in users]
    return timed_posts(url, "/score/churn", bodies, calls, warm_up)


def log_days(config: str, now: str, days: int, batch: int = 1_000) -> dict[str, Any]:
    """Every user of the data scored once a day for ``days`` days before ``now``, each day's
    served rows logged through the service's log (``ServedFeatureLog``, Feast's logging shape)
    into the feature-log folder of the data, emptied first."""
    import pandas as pd

    from feature_repo.core.paths import data_dir
    from feature_repo.model.registry import load_model
    from feature_repo.repository.store import open_store
    from feature_repo.serving.lookup.churn import ChurnScorer
    from feature_repo.serving.lookup.served_log import ServedFeatureLog

    store = open_store(config_path=config)
    scorer = ChurnScorer(store, load_model())
    service = store.get_feature_service(scorer.model.record.feature_service)
    shutil.rmtree(data_dir() / "feature_logs" / service.name, ignore_errors=True)
    plan = scorer.reader.plan
    log = ServedFeatureLog(store, service, plan.output_views, plan.output_names, sample_rate=1.0,
                           max_rows=10**9)  # fmt: skip
    users = pd.read_parquet(data_dir() / "raw" / "users.parquet", columns=["user_id"])
    users = [int(u) for u in users["user_id"]]
    end = datetime.fromisoformat(now)
    rows = 0
    for day in range(days, 0, -1):
        served_at = end - timedelta(days=day)
        for start in range(0, len(users), batch):
            group = users[start : start + batch]
            read = scorer.read(group, served_at)
            scores = scorer.score_rows(group, read)
            log.record([{"user_id": u} for u in group], read, [s.probability for s in scores],
                       scorer.model.record.version, logged_at=served_at)  # fmt: skip
        rows += log.flush()
    return {"rows": rows, "users": len(users), "days": days}


def monitor_window(config: str, since: str, until: str) -> dict[str, Any]:
    """``delivery-fs monitor``'s work (``monitoring.monitor``) over the logged window, timed."""
    from feature_repo.model.registry import DEFAULT_MODEL
    from feature_repo.monitoring.monitor import monitor
    from feature_repo.repository.store import open_store

    store = open_store(config_path=config)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        result = monitor(store, DEFAULT_MODEL, datetime.fromisoformat(since),
                         datetime.fromisoformat(until), out=Path(folder))  # fmt: skip
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_mb": peak_rss_mb(), "rows": result.summary["current_rows"],
            "source": result.summary["source"], "drifted": result.drifted}  # fmt: skip


STEPS = {f.__name__: f for f in (churn, http_churn, log_days, monitor_window)}

if __name__ == "__main__":
    run_step(STEPS)
