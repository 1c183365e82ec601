"""Feast's own online-store tests, run against this project's store classes and engine.

``make feast-online-store-tests`` runs Feast's universal online-store tests (the ones its CI runs for
every online store) once per variant (``variants.py``): Feast's classes with Feast's engine, ours with
Feast's engine, ours with ours. It then says which tests pass for Feast's classes and not for ours.
Feast's test tree is not part of its wheel, so the runner fetches the tag of the installed version
(or uses ``FEAST_SRC``) and runs it in an environment of its own, pinned as Feast pins its test
tools (``requirements.txt``). See docs/feast_suite.md.
"""
