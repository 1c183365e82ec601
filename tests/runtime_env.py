"""A virtual environment holding only ``feature_repo`` and its runtime dependencies.

The runtime dependencies are the distributions that ``pip install .`` would bring (the project's
requirements without extras, followed through each distribution's own requirements, markers
evaluated). Instead of downloading and unpacking them again (four minutes here), the environment is
made of links to the files those distributions installed in the development environment, file by
file from their RECORD: a module of the dev, redis, aws, spark or sagemaker extras, ``devtools``,
``sagemaker_emulator`` and the tests are simply not there.
"""

from __future__ import annotations

import re
import subprocess
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement

from feature_repo.core.paths import REPO_ROOT

PROJECT = "delivery-feature-store"
PRODUCT_PACKAGE = "feature_repo"


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _applies(requirement: Requirement, extras: set[str]) -> bool:
    if requirement.marker is None:
        return True
    return any(
        requirement.marker.evaluate({**default_environment(), "extra": extra})
        for extra in extras or {""}
    )


def runtime_distributions(project: str = PROJECT, extras: frozenset[str] = frozenset()) -> set[str]:
    """The canonical names of every distribution that installing ``project[extras]`` needs."""
    found: set[str] = set()
    pending: list[tuple[str, set[str]]] = [(project, set(extras))]
    while pending:
        name, extras = pending.pop()
        for text in metadata.distribution(name).requires or []:
            requirement = Requirement(text)
            if not _applies(requirement, extras):
                continue
            key = canonical(requirement.name)
            visit = (key, set(requirement.extras))
            if key == canonical(project) and not requirement.extras:
                continue
            if key not in found or requirement.extras:
                found.add(key)
                pending.append(visit)
    found.discard(canonical(project))
    return found


def _link_distribution(name: str, source_root: Path, target_root: Path) -> int:
    distribution = metadata.distribution(name)
    linked = 0
    for relative in distribution.files or []:
        if relative.parts and relative.parts[0] == "..":
            continue  # console scripts and data outside site-packages
        source = source_root / relative
        target = target_root / relative
        if not source.exists() or target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(source)
        linked += 1
    return linked


def create_runtime_env(directory: Path) -> Path:
    """A venv in ``directory`` with ``feature_repo`` and its runtime dependencies; its python."""
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(directory)],
        check=True,
        capture_output=True,
    )
    python = directory / "bin" / "python"
    target_root = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    source_root = Path(sysconfig.get_paths()["purelib"])
    for name in sorted(runtime_distributions()):
        _link_distribution(name, source_root, target_root)
    (target_root / PRODUCT_PACKAGE).symlink_to(REPO_ROOT / PRODUCT_PACKAGE)
    return python
