"""Commands of the model loop: train the churn model and score users with it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from feature_repo.cli.rendering import console, print_frame

app = typer.Typer()


@app.command("train")
def train(
    eval_months: Annotated[
        int,
        typer.Option(
            "--eval-months",
            "--months-eval",
            help="The last N observation months evaluate; the earlier ones train.",
        ),
    ] = 1,
    register_as: Annotated[str, typer.Option(help="Registered model name.")] = "churn_model",
) -> None:
    """Train the churn model on churn_model_v1's training set, compare it with a naive baseline and
    record it in the model registry (MLflow; MLFLOW_TRACKING_URI for a server)."""
    import pandas as pd

    from feature_repo.model.registry import tracking_uri
    from feature_repo.repository.store import open_store
    from feature_repo.training.churn import train_churn_model

    trained = train_churn_model(open_store(), eval_months, register_as)
    m = trained.record.metrics
    console.print(f"train months: {', '.join(trained.train_months)} ({m['train_rows']:,.0f} rows); "
                  f"evaluation months: {', '.join(trained.eval_months)} ({m['eval_rows']:,.0f} rows, "
                  f"churn rate {m['eval_churn_rate']:.1%})")  # fmt: skip
    table = pd.DataFrame({
        "scorer": ["model (gradient boosting)", "baseline (days since last order)"],
        "ROC AUC": [round(m["model_roc_auc"], 4), round(m["baseline_roc_auc"], 4)],
        "PR AUC": [round(m["model_pr_auc"], 4), round(m["baseline_pr_auc"], 4)],
    })  # fmt: skip
    print_frame("evaluation months", table)
    record = trained.record
    console.print(f"registered {record.name} version {record.version} ({tracking_uri()}); "
                  f"training set {record.training_set_fingerprint[:12]}, "
                  f"{len(record.feature_names)} features")  # fmt: skip


@app.command("score-churn")
def score_churn(
    user_ids: Annotated[list[int], typer.Argument(help="users.user_id of the users to score.")],
    as_of: Annotated[str, typer.Option(help="Instant (ISO-8601, 'now' or 'horizon').")] = "now",
) -> None:
    """Churn probabilities from the registered model and the online features (as /score/churn)."""
    from feature_repo.cli.instants import instant
    from feature_repo.serving.lookup.churn import churn_scorer

    scorer = churn_scorer()
    record = scorer.model.record
    for score in scorer.score(user_ids, now=instant(as_of)):
        known = "" if score.known_user else " (unknown user)"
        console.print(f"user {score.user_id}: churn probability {score.probability:.3f}{known} "
                      f"({record.name} version {record.version})")  # fmt: skip


@app.command("monitor")
def monitor(
    model: Annotated[
        str, typer.Option(help="Registered model whose training set is the baseline.")
    ] = "churn_model",
    since: Annotated[
        str, typer.Option(help="Window start (ISO-8601, 'now' or 'horizon').")
    ] = "horizon",
    until: Annotated[str | None, typer.Option(help="Window end (default: since + 7 days).")] = None,
    out: Annotated[Path | None, typer.Option(help="Folder of drift.json and drift.html.")] = None,
    psi_drift: Annotated[float, typer.Option(help="PSI at or above this: drift.")] = 0.2,
    js_drift: Annotated[
        float, typer.Option(help="Jensen-Shannon distance at or above this: drift.")
    ] = 0.1,
    null_points: Annotated[
        float, typer.Option(help="Null rate moved by this many points: drift.")
    ] = 5.0,
) -> None:
    """Compare the served features of a window (the logs; without logs, the offline features) with the
    model's training set: PSI and KS per numeric feature, Jensen-Shannon per categorical one, null
    rates. Writes JSON and HTML reports; exits 1 when a feature drifted."""
    from datetime import timedelta

    from feature_repo.cli.instants import instant
    from feature_repo.monitoring.drift import Thresholds
    from feature_repo.monitoring.monitor import monitor as run_monitor
    from feature_repo.repository.store import open_store

    end = instant(until)
    start = instant(since) if since else end - timedelta(days=7)
    limits = Thresholds(psi_drift=psi_drift, js_drift=js_drift, null_points=null_points)
    result = run_monitor(open_store(), model, start, end, out, limits)
    rows = [{"feature": d.feature, "state": "DRIFT" if d.drifted else ("warn" if d.warning else "ok"),
             "PSI": d.psi, "KS": d.ks_statistic, "JS": d.js_distance,
             "null change (points)": round(d.null_rate_change_points, 2)} for d in result.drifts]  # fmt: skip
    import pandas as pd

    s = result.summary
    print_frame(f"{s['service']} ({s['model']}), {s['source']} {s['since']} to {s['until']}: "
                f"{s['current_rows']:,} rows{_sampled(s)} against {s['baseline_rows']:,}",
                pd.DataFrame(rows).round(4))  # fmt: skip
    console.print(f"reports: {result.json_report} {result.html_report}")
    if result.drifted:
        console.print(f"drift in {len(result.drifted)} feature(s): {', '.join(result.drifted)}")
        raise typer.Exit(code=1)


def _sampled(summary: dict) -> str:
    compared = summary["compared_rows"]
    return "" if compared == summary["current_rows"] else f" (a sample of {compared:,} compared)"
