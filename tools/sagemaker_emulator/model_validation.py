"""Input validation driven by botocore's service model: required members, lengths, ranges, patterns, enums.

Nothing here is copied from the model: every rule is read from the shapes botocore ships, so the
emulator checks what the real service documents for the botocore version installed. Messages
follow AWS's wording ("Value 'x' at 'featureGroupName' failed to satisfy constraint: ...").
AWS patterns are Java regular expressions matched against the whole value; ``regex`` understands
their ``\\p{L}`` classes, which Python's ``re`` does not.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import regex
from botocore.model import Shape


@lru_cache(maxsize=512)
def _compiled(pattern: str) -> regex.Pattern:
    return regex.compile(pattern)


def _member_path(parent: str, name: str) -> str:
    name = name[:1].lower() + name[1:]
    return f"{parent}.{name}" if parent else name


def _violation(path: str, value: Any, constraint: str) -> str:
    shown = value if isinstance(value, str | int | float) else "[...]"
    return f"Value '{shown}' at '{path}' failed to satisfy constraint: {constraint}"


def _length_violations(rules: dict[str, Any], value: str | list, path: str) -> list[str]:
    """The ``min``/``max`` length rules of a string or a list."""
    problems = []
    if "min" in rules and len(value) < rules["min"]:
        constraint = f"Member must have length greater than or equal to {rules['min']}"
        problems.append(_violation(path, value, constraint))
    if "max" in rules and len(value) > rules["max"]:
        constraint = f"Member must have length less than or equal to {rules['max']}"
        problems.append(_violation(path, value, constraint))
    return problems


def _scalar_violations(shape: Shape, value: Any, path: str) -> list[str]:
    rules = shape.metadata
    problems: list[str] = []
    if shape.type_name == "string":
        if not isinstance(value, str):
            return [_violation(path, value, "Member must be a string")]
        problems.extend(_length_violations(rules, value, path))
        if "enum" in rules and value not in rules["enum"]:
            problems.append(
                _violation(path, value, f"Member must satisfy enum value set: {rules['enum']}")
            )
        if "pattern" in rules and not _compiled(rules["pattern"]).fullmatch(value):
            problems.append(
                _violation(
                    path,
                    value,
                    f"Member must satisfy regular expression pattern: {rules['pattern']}",
                )
            )
    elif shape.type_name in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            return [_violation(path, value, "Member must be an integer")]
        if "min" in rules and value < rules["min"]:
            problems.append(
                _violation(
                    path, value, f"Member must have value greater than or equal to {rules['min']}"
                )
            )
        if "max" in rules and value > rules["max"]:
            problems.append(
                _violation(
                    path, value, f"Member must have value less than or equal to {rules['max']}"
                )
            )
    elif shape.type_name == "boolean" and not isinstance(value, bool):
        problems.append(_violation(path, value, "Member must be a boolean"))
    return problems


def violations(shape: Shape, value: Any, path: str = "") -> list[str]:
    """Every way ``value`` breaks ``shape``'s documented constraints (empty when it is valid)."""
    if shape.type_name == "structure":
        if not isinstance(value, dict):
            return [_violation(path, value, "Member must be a structure")]
        problems = [
            f"Value null at '{_member_path(path, name)}' failed to satisfy constraint: Member must not be null"
            for name in shape.required_members
            if value.get(name) is None
        ]
        for name, member_value in value.items():
            member = shape.members.get(name)
            if member is None:
                problems.append(f"Unknown member '{_member_path(path, name)}'")
            elif member_value is not None:
                problems.extend(violations(member, member_value, _member_path(path, name)))
        return problems
    if shape.type_name == "list":
        if not isinstance(value, list):
            return [_violation(path, value, "Member must be a list")]
        rules = shape.metadata
        problems = []
        problems.extend(_length_violations(rules, value, path))
        for position, item in enumerate(value, start=1):
            problems.extend(violations(shape.member, item, f"{path}.{position}.member"))
        return problems
    if shape.type_name == "map":
        return []
    return _scalar_violations(shape, value, path)


def validation_message(problems: list[str]) -> str:
    """AWS's summary of validation problems."""
    count = len(problems)
    noun = "error" if count == 1 else "errors"
    return f"{count} validation {noun} detected: " + "; ".join(problems)
