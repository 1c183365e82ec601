"""Commands of the model loop: train the churn model and score users with it."""

from __future__ import annotations

from typing import Annotated

import typer

from feature_repo.cli.rendering import console, print_frame

app = typer.Typer()


@app.command("train")
def train(
    eval_months: Annotated[
        int, typer.Option(help="The last N observation months evaluate; the earlier ones train.")
    ] = 1,
    register_as: Annotated[str, typer.Option(help="Registered model name.")] = "churn_model",
) -> None:
    """Train the churn model on churn_model_v1's training set, compare it with a naive baseline and
    record it in the model registry (MLflow; MLFLOW_TRACKING_URI for a server)."""
    import pandas as pd

    from feature_repo.model.registry import tracking_uri
    from feature_repo.store import open_store
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
    from feature_repo.serving.churn import churn_scorer

    scorer = churn_scorer()
    record = scorer.model.record
    for score in scorer.score(user_ids, now=instant(as_of)):
        known = "" if score.known_user else " (unknown user)"
        console.print(f"user {score.user_id}: churn probability {score.probability:.3f}{known} "
                      f"({record.name} version {record.version})")  # fmt: skip
