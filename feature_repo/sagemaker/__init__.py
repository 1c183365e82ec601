"""Mirror of the Feast feature views into SageMaker Feature Store: mapping, plan/apply, ingest, verify."""
