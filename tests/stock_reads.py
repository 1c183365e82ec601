"""Stock Feast's online answer, read the way the lean reader reports it: the TTL rule applied to
stock's own event times, a row without an event time taken as missing (stock Redis answers an
unknown entity with PRESENT nulls), and values compared by name."""

from __future__ import annotations

from datetime import UTC, datetime

from feature_repo.serving.lookup.online_features import FeatureStatus, OnlineFeatureReader


def stock_rows(store, reader: OnlineFeatureReader, rows: list[dict], now: datetime) -> list[dict]:
    """Per entity row, ``{name: (value, status, event_time)}`` from ``get_online_features``."""
    plan = reader.plan
    service = reader.service_name
    features = (
        store.get_feature_service(service)
        if service in {s.name for s in store.list_feature_services()}
        else service.split(", ")
    )
    response = store.get_online_features(features=features, entity_rows=rows)
    names = list(response.proto.metadata.feature_names.val)
    as_dict = response.to_dict()
    ttl_of = {
        name: view.ttl for view in plan.views for name in view.features
    }  # the view of each read feature
    on_demand = {f.name for view in plan.on_demand_views for f in view.features}
    answer = [dict() for _ in rows]
    for name in plan.output_names:
        result = response.proto.results[names.index(name)]
        values = as_dict[name]
        for i, (value, status, stamp) in enumerate(
            zip(values, result.statuses, result.event_timestamps, strict=True)
        ):
            if name in on_demand:
                answer[i][name] = (value, _present_or_null(value), None)
                continue
            event = (
                datetime.fromtimestamp(stamp.seconds + stamp.nanos / 1e9, tz=UTC)
                if stamp.seconds
                else None
            )
            answer[i][name] = _served(value, status, event, ttl_of[name], now)
    return answer


def _present_or_null(value) -> FeatureStatus:
    return FeatureStatus.NULL_VALUE if value is None else FeatureStatus.PRESENT


def _served(value, status: int, event: datetime | None, ttl, now: datetime):
    if event is None or status == 3:  # no row (Feast's NOT_FOUND, or Redis's empty hash)
        return None, FeatureStatus.NOT_FOUND, None
    if event > now:
        return None, FeatureStatus.NOT_YET_VALID, event
    if ttl and event < now - ttl:
        return None, FeatureStatus.OUTSIDE_MAX_AGE, event
    return value, _present_or_null(value), event


def lean_vs_stock(
    store,
    reader: OnlineFeatureReader,
    rows: list[dict],
    now: datetime,
    on_demand: bool = True,
    skip_views: tuple[str, ...] = (),
) -> list:
    """Every (row, feature) where the lean reader and stock Feast (TTL applied) differ; on-demand
    outputs too when ``on_demand`` (stock computes them from inputs it does not mask); the
    features of ``skip_views`` are left out."""
    lean = reader.read(rows, now=now)
    stock = stock_rows(store, reader, rows, now)
    computed = {f.name for view in reader.plan.on_demand_views for f in view.features}
    skipped = {
        name for view in reader.plan.views if view.ref_name in skip_views for name in view.features
    }
    differences = []
    for row, ours, theirs in zip(rows, lean, stock, strict=True):
        for name, (value, status, event) in theirs.items():
            if (name in computed and not on_demand) or name in skipped:
                continue
            served = ours[name]
            same_status = (
                (served.status is FeatureStatus.PRESENT) == (status is FeatureStatus.PRESENT)
                if name in computed
                else served.status is status
            )
            if (
                served.value != value
                or not same_status
                or (name not in computed and served.event_time != event)
            ):
                differences.append((row, name, served, (value, status, event)))
    return differences
