"""The project's one error root. Every error raised on purpose derives from ``FeatureStoreError``.

Its message names what is at fault (file, column, row, feature, service or endpoint) and what to do;
the CLI prints it and exits with code 2 (``feature_repo/cli/errors.py``, the one handler). Each area
has its own base, and a backend's client errors are translated once, in that area's module:

- ``ProfileError`` (``profiles.py``): a feature_store.yaml that cannot be used as configured;
- ``PipelineError`` (``pipeline/errors.py``): raw data and feature builds; ``QualityGateError``
  (``quality/gate.py``): tables that fail their expectations;
- ``S3StorageError`` (``storage/s3.py``), ``SparkUnavailableError`` (``spark/errors.py``);
- ``OnlineStoreError`` (``online/errors.py``): SQLite, Redis and DynamoDB, translated there;
- ``ServingError`` (``serving/errors.py``): bad lookups; ``TrainingSetError`` (``training/sets.py``);
- ``FeatureRefError`` (``feature_refs.py``); ``SageMakerMirrorError`` (``sagemaker/errors.py``);
- ``DiskFullError`` (``core/disk_space.py``): a write that found no space, from any area.
"""

from __future__ import annotations


class FeatureStoreError(Exception):
    """A problem the user can fix: the message says what is at fault and what to do."""
