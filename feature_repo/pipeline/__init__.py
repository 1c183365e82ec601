"""Stages that touch files: generating raw data, reading and validating it, writing feature tables."""
