"""Errors of the Spark path, saying what to do."""

from __future__ import annotations

from feature_repo.pipeline.errors import PipelineError


class SparkUnavailableError(PipelineError):
    """Spark cannot start here: Java or PySpark is missing."""
