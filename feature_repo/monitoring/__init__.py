"""Watching served features for drift against a model's training set (``delivery-fs monitor``)."""
