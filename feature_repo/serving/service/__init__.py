"""The scoring service: the FastAPI app (``scoring_service``), its routes, access checks and metrics."""
