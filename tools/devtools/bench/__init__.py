"""`delivery-fs-bench`: the performance figures, each measured next to a baseline in the same run.

``measure`` holds timing and memory statistics, ``steps`` the measured steps (each run in its own
subprocess, so that its peak memory is its own), ``runner`` the orchestration (data, servers,
stores), ``report`` the table and ``bench/results.json``.
"""
