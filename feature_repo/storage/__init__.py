"""Storage systems the pipeline publishes to (S3)."""
