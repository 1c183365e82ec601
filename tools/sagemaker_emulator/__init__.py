"""An emulator of the SageMaker Feature Store API, for tests and local runs."""
