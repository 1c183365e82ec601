"""The mirror's operations over every chosen view: what the CLI's ingest and verify run."""

from __future__ import annotations

from datetime import datetime

from feast import FeatureStore

from feature_repo.sagemaker.aws import SageMakerClients
from feature_repo.sagemaker.config import SageMakerSettings
from feature_repo.sagemaker.errors import SageMakerMirrorError
from feature_repo.sagemaker.feast_rows import view_rows
from feature_repo.sagemaker.ingest import IngestResult, ingest_group
from feature_repo.sagemaker.plan import Action, GroupPlan, plan_mirror
from feature_repo.sagemaker.record_values import records_from_frame
from feature_repo.sagemaker.verify import Difference, sample_identifiers, verify_group


def applied_plans(
    store: FeatureStore,
    settings: SageMakerSettings,
    clients: SageMakerClients,
    views: list[str] | None,
) -> list[GroupPlan]:
    """The plans of ``views`` (all mirrored views when None); an error unless SageMaker is up to date."""
    plans = [p for p in plan_mirror(store, settings, clients) if not views or p.view in views]
    missing = sorted(set(views or []) - {p.view for p in plans})
    if missing:
        raise SageMakerMirrorError(
            f"views {missing} are not mirrored (check `views` in the SageMaker settings)."
        )
    pending = [p for p in plans if p.action is not Action.UNCHANGED]
    if pending:
        names = ", ".join(f"{p.view} ({p.action.value})" for p in pending)
        raise SageMakerMirrorError(
            f"SageMaker is not up to date for {names}: run `delivery-fs sagemaker apply` first."
        )
    return plans


def ingest_views(
    store: FeatureStore,
    settings: SageMakerSettings,
    clients: SageMakerClients,
    end: datetime,
    views: list[str] | None = None,
    online: bool = True,
    history: bool = False,
    incremental: bool = False,
    resume_only: bool = False,
) -> list[IngestResult]:
    """Latest rows to the online stores and/or full history to the offline stores of the chosen views."""
    if online and not settings.online_store.enabled:
        raise SageMakerMirrorError(
            "The online store is disabled in the SageMaker settings: use --no-online."
        )
    if history and not settings.offline_store.enabled:
        raise SageMakerMirrorError(
            "The offline store is disabled in the SageMaker settings: drop --history."
        )
    _quality_gate(end)
    results = []
    for plan in applied_plans(store, settings, clients, views):
        for target, latest in (("online", True), ("offline", False)):
            if (target == "online" and not online) or (target == "offline" and not history):
                continue
            records = records_from_frame(
                view_rows(store, plan.spec, end, latest), plan.spec, settings.event_time_format
            )
            results.append(
                ingest_group(
                    clients,
                    plan.group_name,
                    records,
                    target,
                    settings,
                    incremental,
                    resume_only,
                )
            )
    return results


def verify_views(
    store: FeatureStore,
    settings: SageMakerSettings,
    clients: SageMakerClients,
    end: datetime,
    sample: int,
    seed: int,
    entities: list[str],
    views: list[str] | None = None,
) -> tuple[int, list[Difference]]:
    """(entities compared, differences) over the chosen views' online stores."""
    compared, differences = 0, []
    for plan in applied_plans(store, settings, clients, views):
        key = plan.spec.record_identifier
        known = view_rows(store, plan.spec, end, latest=True)[key].tolist()
        cast = type(known[0]) if known else str
        identifiers = sample_identifiers(known, sample, seed, [cast(e) for e in entities])
        differences += verify_group(store, clients, plan.spec, plan.group_name, identifiers)
        compared += len(identifiers)
    return compared, differences


def _quality_gate(end: datetime) -> None:
    """The feature tables must pass the data-quality gate before anything is sent."""
    import pandas as pd

    from feature_repo.core.paths import features_dir
    from feature_repo.pipeline.build import read_feature_tables
    from feature_repo.quality.gate import enforce

    enforce(
        read_feature_tables(features_dir()), step="SageMaker ingestion", as_of=pd.Timestamp(end)
    )
