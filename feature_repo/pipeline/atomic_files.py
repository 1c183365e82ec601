"""The atomic writer moved to ``feature_repo.atomic_files`` (the bottom layer, shared by every area)."""

from feature_repo.atomic_files import Writer, read_json, write_files_atomically, write_json

__all__ = ["Writer", "read_json", "write_files_atomically", "write_json"]
