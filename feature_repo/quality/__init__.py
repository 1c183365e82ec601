"""The data-quality gate: expectations each feature table must meet before it is served."""
