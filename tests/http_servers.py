"""HTTP servers of this environment for the tests: see ``feature_repo.local_servers``."""

from feature_repo.local_servers import free_port, http_server  # noqa: F401 - used by the tests
