"""Which roles may read each view and service: Feast's own decision, asked once per role.

Derived from the permissions in ``feature_repo/definitions/permissions.py`` with Feast's enforcer,
so the catalogue shows what the servers will decide, not a hand-written copy.
"""

from __future__ import annotations

import logging

from feast.errors import FeastPermissionError
from feast.permissions.action import AuthzedAction
from feast.permissions.enforcer import enforce_policy
from feast.permissions.user import User


def roles_allowed(resource, action: AuthzedAction) -> list[str]:
    """The roles that, alone, may perform ``action`` on ``resource``."""
    from feature_repo.definitions.permissions import PERMISSIONS, ROLES

    allowed = []
    enforcer_log = logging.getLogger("feast.permissions.enforcer")
    enforcer_log.disabled = True  # a denial is an answer here, not an error to log
    for role in ROLES:
        try:
            enforce_policy(PERMISSIONS, User(role, roles=[role]), [resource], [action])
        except FeastPermissionError:
            continue
        allowed.append(role)
    enforcer_log.disabled = False
    return allowed


def access_table() -> list[str]:
    """Markdown: per view and service, the roles that may read it online and offline."""
    from feature_repo.definitions.permissions import definitions_by_name

    lines = [
        "| readable by (from the permissions) | online | offline |",
        "|---|---|---|",
    ]
    for name, resource in definitions_by_name().items():
        offline = (
            "-"
            if type(resource).__name__ == "FeatureService"
            else ", ".join(roles_allowed(resource, AuthzedAction.READ_OFFLINE)) or "nobody"
        )
        online = ", ".join(roles_allowed(resource, AuthzedAction.READ_ONLINE)) or "nobody"
        lines.append(f"| `{name}` | {online} | {offline} |")
    return lines
