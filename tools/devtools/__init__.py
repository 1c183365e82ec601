"""Development tools: local servers for the tests and the benchmark (installed with the `dev` extra)."""
