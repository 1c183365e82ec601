"""Schema changes, groups that are not ours, unreachable endpoints, expired credentials, throttling,
5xx errors with a failure report and its resumption, and a failed creation: through the CLI or the
mirror's own functions, always over HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from feature_repo.sagemaker.apply import apply_plan, destroy
from feature_repo.sagemaker.aws import make_clients
from feature_repo.sagemaker.config import load_settings
from feature_repo.sagemaker.feast_rows import view_rows
from feature_repo.sagemaker.ingest import ingest_group
from feature_repo.sagemaker.mirror_state import failures_path
from feature_repo.sagemaker.plan import Action, mirror_specs, plan_mirror
from feature_repo.sagemaker.record_values import records_from_frame
from feature_repo.sagemaker.schema_mapping import create_request
from tests.sagemaker.services import EXPIRED_KEY, free_port, sagemaker_cli, write_settings


def feature_types(sagemaker, group: str) -> dict[str, str]:
    described = sagemaker.describe_feature_group(FeatureGroupName=group)
    return {f["FeatureName"]: f["FeatureType"] for f in described["FeatureDefinitions"]}


def mirror_plans(store, settings_path: str):
    """The plan and apply functions the CLI runs, in this process (still over HTTP)."""
    settings = load_settings(Path(settings_path))
    clients = make_clients(settings)
    return plan_mirror(store, settings, clients), settings, clients


def apply_all(store, settings_path: str) -> None:
    plans, settings, clients = mirror_plans(store, settings_path)
    for plan in plans:
        apply_plan(plan, clients, settings)


def test_added_feature_is_added_in_place_and_a_retyped_one_goes_to_a_new_version(
    store, store_config, sagemaker, emulator
):
    settings = write_settings("schema", group_prefix="schema-", views=["user_profile"])
    (spec,) = mirror_specs(store, load_settings(Path(settings)))
    older = create_request(spec, "schema-user-profile-v1", load_settings(Path(settings)))
    older["FeatureDefinitions"] = [
        f for f in older["FeatureDefinitions"] if f["FeatureName"] != "registered_at"
    ]
    sagemaker.create_feature_group(**older)  # as an earlier version of the view left it

    plan = sagemaker_cli(store_config, settings, "plan")
    assert (
        plan.returncode == 0
        and "user_profile: add features -> schema-user-profile-v1" in plan.stdout
    )
    assert "+ registered_at (String)" in plan.stdout and plan.stdout.count("  + ") == 1
    apply_all(store, settings)
    assert feature_types(sagemaker, "schema-user-profile-v1")["registered_at"] == "String"
    assert [p.action for p in mirror_plans(store, settings)[0]] == [Action.UNCHANGED]

    retyped = write_settings(
        "schema",
        group_prefix="schema-",
        views=["user_profile"],
        type_overrides={"user_profile.age_years": "String"},
    )
    (plan,) = mirror_plans(store, retyped)[0]
    summary = plan.summary()
    assert (
        "user_profile: incompatible change: new versioned group -> schema-user-profile-v2"
        in summary
    )
    assert (
        "~ age_years: Integral -> String" in summary and "schema-user-profile-v1 is kept" in summary
    )
    apply_all(store, retyped)
    assert feature_types(sagemaker, "schema-user-profile-v2")["age_years"] == "String"
    assert (
        feature_types(sagemaker, "schema-user-profile-v1")["age_years"] == "Integral"
    )  # left as it was

    destroyed = sagemaker_cli(store_config, retyped, "destroy")
    assert destroyed.stdout.split() == [
        "deleted",
        "schema-user-profile-v1",
        "deleted",
        "schema-user-profile-v2",
    ]
    names = [
        g["FeatureGroupName"]
        for g in sagemaker.list_feature_groups(NameContains="schema-")["FeatureGroupSummaries"]
    ]
    assert names == []


def test_a_group_under_our_name_that_is_not_ours_is_never_touched(
    store, store_config, sagemaker, emulator
):
    settings = write_settings("foreign", group_prefix="foreign-", views=["user_profile"])
    sagemaker.create_feature_group(
        FeatureGroupName="foreign-user-profile-v1", RecordIdentifierFeatureName="user_id", EventTimeFeatureName="event_timestamp",
        FeatureDefinitions=[{"FeatureName": "user_id", "FeatureType": "String"}, {"FeatureName": "event_timestamp", "FeatureType": "String"}],
        OnlineStoreConfig={"EnableOnlineStore": True},
    )  # fmt: skip
    result = sagemaker_cli(store_config, settings, "apply")
    assert result.returncode == 2
    assert (
        "foreign-user-profile-v1 already exists but was not created by delivery-fs" in result.stderr
    )
    loaded = load_settings(Path(settings))
    clients = make_clients(loaded)
    assert destroy(clients, loaded, store.project) == []
    assert (
        sagemaker.describe_feature_group(FeatureGroupName="foreign-user-profile-v1")[
            "FeatureGroupStatus"
        ]
        == "Created"
    )


def test_an_unreachable_endpoint_is_named(store_config, emulator):
    settings = write_settings("unreachable", max_attempts=1, connect_timeout_seconds=1)
    closed = f"http://127.0.0.1:{free_port()}"
    result = sagemaker_cli(
        store_config, settings, "plan", env={"AWS_ENDPOINT_URL_SAGEMAKER": closed}
    )
    assert result.returncode == 2
    assert (
        f"cannot reach {closed}" in result.stderr and "AWS_ENDPOINT_URL_SAGEMAKER" in result.stderr
    )


def test_expired_credentials_are_reported_as_such(store_config, emulator):
    settings = write_settings("expired")
    result = sagemaker_cli(store_config, settings, "plan", env={"AWS_ACCESS_KEY_ID": EXPIRED_KEY})
    assert result.returncode == 2
    assert (
        "rejected the credentials (ExpiredTokenException" in result.stderr
        and emulator in result.stderr
    )


def test_a_failed_creation_stops_apply_with_the_reason(store_config, control):
    settings = write_settings("failing", group_prefix="failing-", views=["user_profile"])
    control.faults(fail_create=["failing-user-profile-v1"])
    try:
        result = sagemaker_cli(store_config, settings, "apply")
    finally:
        control.faults(fail_create=[])
    assert result.returncode == 2
    assert "failing-user-profile-v1 is CreateFailed" in result.stderr and "destroy" in result.stderr


@pytest.fixture(scope="module")
def fault_group(store, store_config, horizon, emulator):
    """A mirrored user_profile group and 30 of its records, for fault tests."""
    settings = write_settings(
        "faults", group_prefix="faults-", views=["user_profile"], max_workers=1, max_attempts=2
    )
    apply_all(store, settings)
    loaded = load_settings(Path(settings))
    (spec,) = mirror_specs(store, loaded)
    records = records_from_frame(
        view_rows(store, spec, horizon.to_pydatetime(), latest=True), spec
    )[:30]
    return "faults-user-profile-v1", records, loaded


def test_throttling_is_retried_by_botocore(fault_group, control):
    group, records, settings = fault_group
    before = control.calls().get("PutRecord", 0)
    control.faults(throttle_next=1, operations=["PutRecord"])
    result = ingest_group(
        make_clients(settings),
        group,
        records,
        "online",
        settings.model_copy(update={"max_attempts": 4}),
    )
    assert (result.sent, result.failed) == (30, ())
    assert control.calls()["PutRecord"] - before == 30 + 1  # the throttled call was sent again


def test_5xx_after_retries_goes_to_a_report_that_resume_sends_again(fault_group, control, runtime):
    group, records, settings = fault_group
    control.faults(server_errors_next=4, operations=["PutRecord"])  # two records x two attempts
    clients = make_clients(settings)
    first = ingest_group(clients, group, records, "online", settings)
    failed = {f.identifier for f in first.failed}
    assert (first.sent, len(failed)) == (28, 2) and failed == {
        records[0].identifier,
        records[1].identifier,
    }
    assert failures_path(group, "online").exists()
    for identifier in failed:
        runtime.delete_record(
            FeatureGroupName=group,
            RecordIdentifierValueAsString=identifier,
            EventTime="2100-01-01T00:00:00Z",
        )
    before = control.calls().get("PutRecord", 0)
    resumed = ingest_group(clients, group, records, "online", settings, resume_only=True)
    assert (resumed.selected, resumed.sent, resumed.failed) == (2, 2, ())
    assert (
        control.calls()["PutRecord"] - before == 2 and not failures_path(group, "online").exists()
    )
    for identifier in failed:
        assert runtime.get_record(FeatureGroupName=group, RecordIdentifierValueAsString=identifier)[
            "Record"
        ]


def test_a_failed_quality_gate_sends_nothing(store, horizon, control, tmp_path, monkeypatch):
    import shutil

    from feature_repo.core.paths import features_dir
    from feature_repo.quality.gate import QualityGateError
    from feature_repo.sagemaker.mirror import ingest_views

    data = tmp_path / "data"
    shutil.copytree(features_dir().parent, data)
    broken = data / "features" / "transaction_features.parquet"
    import pandas as pd

    table = pd.read_parquet(broken)
    table.loc[0, "amount"] = -5.0
    table.to_parquet(broken, index=False)
    monkeypatch.setenv("DELIVERY_FS_DATA_DIR", str(data))
    settings_path = write_settings("gate", group_prefix="gate-", views=["transaction_features"])
    settings = load_settings(Path(settings_path))
    before = control.calls()
    with pytest.raises(
        QualityGateError, match=r"transaction_features\.amount: greater_than_or_equal_to\(0\)"
    ):
        ingest_views(store, settings, make_clients(settings), horizon.to_pydatetime())
    assert control.calls() == before  # not one call reached SageMaker
