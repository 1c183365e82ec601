"""Online rows from DynamoDB: one ``BatchGetItem`` for all views of all requested entities (split
at DynamoDB's 100 keys per call, unprocessed keys asked again).

Layout (Feast's): one table per view (``table_name_template``, default ``project.view``); item key
``entity_id`` = hex of mmh3 ``hash_bytes`` of the serialized entity key; ``event_ts`` as an ISO
string; ``values`` a map of feature name to serialized ``ValueProto``.
"""

from __future__ import annotations

from datetime import datetime

import mmh3
from feast import FeatureStore

from feature_repo.core.feast_internals import dynamodb_client
from feature_repo.serving.plan import ServicePlan
from feature_repo.serving.stored_rows import KeysByView, RowsByView, StoredRow

MAX_KEYS = 100


class DynamoDBReader:
    def __init__(self, store: FeatureStore, plan: ServicePlan) -> None:
        config = store.config.online_store
        self.client = dynamodb_client(store.provider.online_store, config)
        self.consistent = config.consistent_reads
        self.views = []  # (view key, table name, features, projection)
        for view in plan.views:
            table = config.table_name_template.format(
                project=store.config.project, table_name=view.online_name
            )
            names = {f"#f{i}": name for i, name in enumerate(view.features)}
            projection = {
                "ProjectionExpression": ", ".join(
                    ["#e", "#t", *(f"#v.{alias}" for alias in names)]
                ),
                "ExpressionAttributeNames": {
                    "#e": "entity_id",
                    "#t": "event_ts",
                    "#v": "values",
                    **names,
                },
            }
            self.views.append((view.key, table, view.features, projection))

    def read(self, keys: KeysByView) -> RowsByView:
        ids = {view_key: [mmh3.hash_bytes(key).hex() for key in keys[view_key]]
               for view_key, _, _, _ in self.views}  # fmt: skip
        wanted = [(table, entity_id) for view_key, table, _, _ in self.views
                  for entity_id in dict.fromkeys(ids[view_key])]  # fmt: skip
        items: dict[tuple[str, str], dict] = {}
        for begin in range(0, len(wanted), MAX_KEYS):
            self._fetch(wanted[begin : begin + MAX_KEYS], items)
        result: RowsByView = {}
        for view_key, table, features, _ in self.views:
            rows: list[StoredRow | None] = []
            for entity_id in ids[view_key]:
                item = items.get((table, entity_id))
                if item is None:
                    rows.append(None)
                    continue
                values = item.get("values", {}).get("M", {})
                rows.append(
                    StoredRow(
                        datetime.fromisoformat(item["event_ts"]["S"]),
                        [values[name]["B"] if name in values else None for name in features],
                    )
                )
            result[view_key] = rows
        return result

    def _fetch(self, wanted: list[tuple[str, str]], items: dict) -> None:
        request: dict[str, dict] = {}
        projections = {table: projection for _, table, _, projection in self.views}
        for table, entity_id in wanted:
            entry = request.setdefault(
                table, {"Keys": [], "ConsistentRead": self.consistent, **projections[table]}
            )
            entry["Keys"].append({"entity_id": {"S": entity_id}})
        while request:
            response = self.client.batch_get_item(RequestItems=request)
            for table, found in response.get("Responses", {}).items():
                for item in found:
                    items[(table, item["entity_id"]["S"])] = item
            request = response.get("UnprocessedKeys") or {}
