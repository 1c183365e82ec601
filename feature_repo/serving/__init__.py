"""Online serving, in three layers (import-linter checks the direction):

- ``service``: the scoring service, a FastAPI app (``service.scoring_service:app``) with its routes
  (``/get-online-features``, ``/score/checkout``, ``/score/churn``, ``/push-orders``, health and
  metrics), its access checks (``auth``) and its Prometheus metrics;
- ``lookup``: the library the app and any Python caller use: ``OnlineFeatureReader`` (a feature
  service's online features in one round trip, windows computed from the order ledger at the lookup
  instant), the churn and checkout scores, the served-feature log;
- ``readers``: the raw reads of each online store (SQLite, Redis and Redis Cluster, DynamoDB);

over the shared pieces: the reading plan of a service (``plan``), stored rows, value decoding,
entity keys and the errors.
"""
