"""Drift monitoring (`delivery-fs monitor`): the statistics against a second computation, quiet on
samples of the training distribution, and exactly the affected features flagged when drift is
injected into served rows that went through the real logging path."""

from __future__ import annotations

import copy
import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

from feature_repo.monitoring.drift import Thresholds, drift_of, feature_drift, js_distance, psi

LIMITS = Thresholds()


def test_psi_equals_a_hand_computation():
    baseline = np.arange(1000, dtype=float)  # deciles: bins of 100 values each
    current = np.concatenate([np.arange(500, dtype=float), np.full(500, 950.0)])
    # current shares: 0.1 in each of the first five bins, 0.5 in the last, 0 elsewhere (-> 1e-4)
    shares = [0.1] * 5 + [1e-4] * 4 + [0.5]
    expected = sum((a - 0.1) * math.log(a / 0.1) for a in shares)
    assert psi(baseline, current) == pytest.approx(expected)
    assert psi(baseline, baseline) == 0.0


def test_js_distance_equals_a_hand_computation():
    base = pd.Series(["a"] * 50 + ["b"] * 50)
    now = pd.Series(["a"] * 100)
    p, q, m = np.array([0.5, 0.5]), np.array([1.0, 0.0]), np.array([0.75, 0.25])
    kl = lambda x, y: sum(a * math.log2(a / b) for a, b in zip(x, y, strict=True) if a > 0)  # noqa: E731
    assert js_distance(base, now) == pytest.approx(math.sqrt((kl(p, m) + kl(q, m)) / 2))


def test_ks_and_null_rate_are_reported_as_scipy_and_counting_give_them():
    rng = np.random.default_rng(1)
    base = pd.Series(rng.normal(0, 1, 4000))
    now = pd.Series(np.where(rng.random(3000) < 0.1, np.nan, rng.normal(0.5, 1, 3000)))
    result = feature_drift("x", base, now, LIMITS)
    expected = ks_2samp(base.to_numpy(), now.dropna().to_numpy())
    assert result.ks_statistic == pytest.approx(expected.statistic)
    assert result.ks_p_value == pytest.approx(expected.pvalue)
    assert result.null_rate_change_points == pytest.approx(100 * now.isna().mean())
    assert result.drifted and any(r.startswith("null rate") for r in result.reasons)


def _training_like(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "orders": rng.poisson(3, rows).astype(float),
        "spend": rng.gamma(2.0, 20.0, rows),
        "payment": rng.choice(["Cash", "Credit", "Debit"], rows, p=[0.2, 0.5, 0.3]),
    })  # fmt: skip


def test_samples_of_the_training_distribution_raise_no_alarm_in_95_of_100_trials():
    baseline = _training_like(20_000, 0)
    alarms = sum(
        any(d.drifted for d in drift_of(baseline, _training_like(2_000, 100 + trial),
                                        ["orders", "spend", "payment"], LIMITS))
        for trial in range(100)
    )  # fmt: skip
    assert alarms <= 5, alarms


@pytest.mark.integration
def test_injected_drift_flags_exactly_the_affected_features(
    materialized_store, tmp_path, raw_tables, horizon
):
    """Served rows (the lean reader) logged through the real log path, three ways broken: amounts
    x1.5 in the rows (spend features move, counts do not), payment habits shifted (the coupon
    features), and a view's feature nulled by a broken upstream. The baseline: the same rows
    served unchanged, logged the same way."""
    from feast.infra.offline_stores.file_source import FileLoggingDestination

    from feature_repo.monitoring.window import logged_window
    from feature_repo.serving.lookup.online_features import (
        FeatureStatus,
        FeatureValue,
        OnlineFeatureReader,
    )
    from feature_repo.serving.lookup.served_log import ServedFeatureLog

    reader = OnlineFeatureReader(materialized_store, "churn_model_v1")
    users = [{"user_id": int(u)} for u in raw_tables[0]["user_id"]]
    served = reader.read(users, now=horizon.to_pydatetime())
    views = dict(zip(reader.plan.output_names, reader.plan.output_views, strict=True))
    features = [n for n in reader.plan.output_names if n != "last_order_at"]

    def logged(rows, name: str) -> pd.DataFrame:
        service = copy.deepcopy(materialized_store.get_feature_service("churn_model_v1"))
        folder = tmp_path / name
        service.logging_config.destination = FileLoggingDestination(path=str(folder))
        log = ServedFeatureLog(materialized_store, service, reader.plan.output_views,
                               reader.plan.output_names, sample_rate=1.0)  # fmt: skip
        log.record(users, rows, [0.5] * len(rows), "1")
        log.flush()
        window = logged_window(folder, {f: views[f] for f in features},
                               pd.Timestamp("2000-01-01", tz="UTC"), pd.Timestamp("2100-01-01", tz="UTC"))  # fmt: skip
        return window.frame

    def changed(row, updates):
        return {**row, **{k: FeatureValue(f(row[k].value) if row[k].value is not None else None,
                                          row[k].status, row[k].event_time)
                          for k, f in updates.items()}}  # fmt: skip

    baseline = logged(served, "baseline")
    money = [n for n in features if n.startswith(("spend_sum", "spend_mean"))]
    richer = logged([changed(r, {n: (lambda v: v * 1.5) for n in money}) for r in served], "x15")
    # shift: every coupon rate to 1 (each order paid with a coupon)
    coupons = [n for n in features if n.startswith("coupon_rate")]
    shifted = logged([changed(r, {n: (lambda v: 1.0) for n in coupons}) for r in served], "coupon")
    nulled = logged([{**r, "operating_system": FeatureValue(None, FeatureStatus.NULL_VALUE, None)}
                     for r in served], "nulled")  # fmt: skip

    def flagged(current) -> set[str]:
        return {d.feature for d in drift_of(baseline, current, features, LIMITS) if d.drifted}

    assert flagged(baseline) == set()
    # only spend features move (never counts, coupons or the profile); the 7-day ones may stay
    # under the thresholds (most users spent 0 in the last week, and 0 x 1.5 is 0)
    assert (
        {f"spend_{k}_{w}" for k in ("sum", "mean") for w in ("30d", "90d")}
        <= flagged(richer)
        <= set(money)
    )
    assert flagged(shifted) == {n for n in coupons if (baseline[n].dropna() < 1).mean() > 0.05}
    assert flagged(nulled) == {"operating_system"}


@pytest.mark.integration
def test_a_large_window_is_compared_through_a_fixed_sample(
    materialized_store, tmp_path, raw_tables, horizon
):
    """Above ``max_rows`` logged rows, the window is a sample of about that size: the same rows on
    every run, each one a logged row, while the window still counts every row."""
    from feature_repo.monitoring.window import logged_window
    from feature_repo.serving.lookup.online_features import OnlineFeatureReader
    from feature_repo.serving.lookup.served_log import ServedFeatureLog

    reader = OnlineFeatureReader(materialized_store, "churn_model_v1")
    service = copy.deepcopy(materialized_store.get_feature_service("churn_model_v1"))
    service.logging_config.destination.path = str(tmp_path / "logs")
    log = ServedFeatureLog(materialized_store, service, reader.plan.output_views,
                           reader.plan.output_names, sample_rate=1.0)  # fmt: skip
    users = [{"user_id": int(u)} for u in raw_tables[0]["user_id"]]
    for start in range(0, len(users), 100):  # one request per 100 users
        group = users[start : start + 100]
        log.record(group, reader.read(group, now=horizon.to_pydatetime()), [0.5] * len(group), "1")
    log.flush()
    views = dict(zip(reader.plan.output_names, reader.plan.output_views, strict=True))
    features = {f: views[f] for f in ("order_count_30d", "spend_mean_30d", "operating_system")}
    span = (pd.Timestamp("2000-01-01", tz="UTC"), pd.Timestamp("2100-01-01", tz="UTC"))
    whole = logged_window(tmp_path / "logs", features, *span)
    first, again = (logged_window(tmp_path / "logs", features, *span, max_rows=50) for _ in "ab")
    assert whole.rows == len(whole.frame) == len(users) > 50
    assert first.rows == len(users) and 25 <= len(first.frame) <= 75  # about 50, by a hash
    pd.testing.assert_frame_equal(first.frame, again.frame)
    logged = whole.frame.value_counts(dropna=False)
    sampled = first.frame.value_counts(dropna=False)
    assert (sampled <= logged.reindex(sampled.index, fill_value=0)).all()


@pytest.mark.integration
@pytest.mark.browser
def test_the_html_report_shows_every_feature(tmp_path):
    from devtools.browser import require_chromium
    from feature_repo.monitoring.drift import drift_of as measure
    from feature_repo.monitoring.report import write_reports

    require_chromium()  # fails loudly without Chromium
    baseline, current = _training_like(3000, 0), _training_like(3000, 1)
    current["spend"] *= 1.5
    drifts = measure(baseline, current, ["orders", "spend", "payment"], LIMITS)
    summary = {"service": "s", "since": "a", "until": "b", "drifted": ["spend"]}
    json_path, html_path = write_reports(summary, drifts, baseline, current, tmp_path)
    assert [f["feature"] for f in json.loads(json_path.read_text())["features"]] == [
        "orders", "spend", "payment"]  # fmt: skip
    _assert_rendered(html_path, ["orders", "spend", "payment"])


def _assert_rendered(page, features):
    from devtools.browser import rendered_dom

    dom = rendered_dom(page.as_uri())
    for feature in features:
        assert f'id="{feature}"' in dom and "<rect" in dom
    assert 'class="feature drift" id="spend"' in dom
