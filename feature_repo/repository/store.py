"""Opening the feature store of this repository, with the profile that ``feast`` would use."""

from __future__ import annotations

from pathlib import Path

from feast import FeatureStore

from feature_repo.core.errors import FeatureStoreError
from feature_repo.core.paths import REPO_ROOT
from feature_repo.core.profiles import checked_config, source_kind
from feature_repo.online.dynamodb import apply_retry_defaults
from feature_repo.spark.session import configure_spark_environment


def open_store(repo_path: Path = REPO_ROOT, config_path: Path | None = None) -> FeatureStore:
    """The feature store of this repository, with the profile that ``feast`` would use.

    ``config_path`` selects a feature_store.yaml; without it, ``$FEAST_FS_YAML_FILE_PATH`` (as for
    ``feast``), else the embedded default. Unset ``${VAR}`` in the profile are reported by name.
    """
    apply_retry_defaults()
    config = checked_config(config_path)
    if source_kind(config) == "spark":
        configure_spark_environment()  # before Feast starts Spark: conf dir, workers' Python, loopback
    return FeatureStore(repo_path=str(repo_path), fs_yaml_file=config)


class StoreNotAppliedError(FeatureStoreError):
    """The registry holds no feature view: ``feast apply`` has not run against this profile."""


def require_applied(store: FeatureStore) -> FeatureStore:
    """``store``, once its registry holds the repository's feature views."""
    if not store.list_feature_views():
        raise StoreNotAppliedError(
            f"The registry {store.config.registry.path} holds no feature view of project "
            f"'{store.project}': run `feast apply` first (`make demo` does)."
        )
    return store
