"""HTTP servers of this environment for the tests: see ``devtools.local_servers``."""

from devtools.local_servers import free_port, http_server  # noqa: F401 - used by the tests
