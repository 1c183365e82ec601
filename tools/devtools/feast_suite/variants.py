"""The store classes and engines each run of Feast's tests is pointed at.

Feast's test configuration names an online store by a key (``sqlite``, ``redis``, ``dynamodb``) and
selects tests with it (``universal_online_stores(only=["redis"])``). Each variant keeps the keys and
changes the class behind them, so every test that runs for Feast's class runs for ours.
"""

from __future__ import annotations

from dataclasses import dataclass

FEAST_ENGINE = {"type": "local"}
OUR_ENGINE = {"type": "feature_repo.online.batch_engine.StreamingComputeEngine"}

FEAST_CLASSES = {"sqlite": "sqlite", "redis": "redis", "dynamodb": "dynamodb"}
OUR_CLASSES = {
    "sqlite": "feature_repo.online.sqlite.BulkSqliteOnlineStore",
    "redis": "feature_repo.online.redis.BulkRedisOnlineStore",
    "dynamodb": "feature_repo.online.dynamodb.BulkDynamoDBOnlineStore",
}


@dataclass(frozen=True)
class Variant:
    name: str
    store_types: dict[str, str]
    batch_engine: dict[str, str]
    description: str


VARIANTS = {
    variant.name: variant
    for variant in (
        Variant(
            "stock", FEAST_CLASSES, FEAST_ENGINE, "Feast's classes, Feast's engine (the reference)"
        ),
        Variant("ours-feast-engine", OUR_CLASSES, FEAST_ENGINE, "our classes, Feast's engine"),
        Variant("ours", OUR_CLASSES, OUR_ENGINE, "our classes, our engine"),
    )
}
REFERENCE = "stock"
VARIANT_VARIABLE = "FEAST_SUITE_VARIANT"


def variant_named(name: str | None) -> Variant:
    """The variant a run was started with; a clear error for an unknown or missing name."""
    if name not in VARIANTS:
        raise ValueError(
            f"{VARIANT_VARIABLE}={name!r} is not a variant of Feast's test run: use one of "
            f"{', '.join(VARIANTS)} (python -m devtools.feast_suite runs them all)"
        )
    return VARIANTS[name]
