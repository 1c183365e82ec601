"""The project's one error root. Every error raised on purpose derives from ``FeatureStoreError``.

Its message names what is at fault (file, column, row, feature, service or endpoint) and what to do;
the CLI prints it and exits with code 2. Each area has its own subclasses (pipeline, serving,
stores, SageMaker mirror), and a backend's client errors are translated once, where it is called.
"""

from __future__ import annotations


class FeatureStoreError(Exception):
    """A problem the user can fix: the message says what is at fault and what to do."""
