"""A pytest plugin for Feast's test run: every test environment uses the variant's engine and classes.

Feast's tests build one ``IntegrationTestRepoConfig`` per environment at collection, with Feast's
engine (``local``) by default and no setting to change it; this sets the variant's engine on each
before any test starts. A fixture then checks, in every test that builds a store, that the store's
configuration names the variant's online-store class and engine, so that a run never compares
Feast's classes with themselves unnoticed.
"""

from __future__ import annotations

import os

import pytest

from devtools.feast_suite.variants import VARIANT_VARIABLE, Variant, variant_named


def _variant() -> Variant:
    return variant_named(os.environ.get(VARIANT_VARIABLE))


def pytest_report_header(config) -> str:
    variant = _variant()
    classes = ", ".join(f"{key}={store_type}" for key, store_type in variant.store_types.items())
    return f"feast-suite variant {variant.name}: {classes}; engine {variant.batch_engine['type']}"


def pytest_collection_modifyitems(items) -> None:
    engine = _variant().batch_engine
    for item in items:
        callspec = getattr(item, "callspec", None)
        repo_config = callspec.params.get("environment") if callspec else None
        if repo_config is not None:
            repo_config.batch_engine = dict(engine)


@pytest.fixture(autouse=True)
def _variant_is_applied(request) -> None:
    if "environment" not in request.fixturenames:
        return
    config = request.getfixturevalue("environment").feature_store.config
    variant = _variant()
    assert config.online_store.type in variant.store_types.values(), (
        f"the test's online store is {config.online_store.type}, not one of variant {variant.name}'s"
    )
    assert config.batch_engine.type == variant.batch_engine["type"], (
        f"the test's engine is {config.batch_engine.type}, not variant {variant.name}'s"
    )
