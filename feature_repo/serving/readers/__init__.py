"""Raw reads of the stored rows of each online store (SQLite, Redis and Redis Cluster, DynamoDB)."""
