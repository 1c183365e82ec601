"""Errors of the Spark path, saying what to do."""

from __future__ import annotations

from feature_repo.core.errors import FeatureStoreError


class SparkUnavailableError(FeatureStoreError):
    """Spark cannot start here: Java or PySpark is missing."""
