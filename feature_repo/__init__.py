"""The food-delivery feature store: raw data, feature pipeline, Feast definitions."""
