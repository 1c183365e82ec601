"""Steps of the model section, each run in a fresh process (``Bench.step(..., module=...)``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from devtools.bench.measure import time_calls
from devtools.bench.steps import main as run_step
from devtools.bench.steps import timed_posts


def churn(config: str, users: list[int], batch: int, calls: int, warm_up: int, mode: str,
          now: str) -> dict[str, Any]:  # fmt: skip
    """``batch`` users per call: ``scorer`` (read + model, as /score/churn) or ``reader`` (the
    lean read of the model's feature service alone)."""
    from feature_repo.model.registry import load_model
    from feature_repo.serving.churn import ChurnScorer
    from feature_repo.serving.online_features import freeze_long_lived_objects
    from feature_repo.store import open_store

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


STEPS = {f.__name__: f for f in (churn, http_churn)}

if __name__ == "__main__":
    run_step(STEPS)
