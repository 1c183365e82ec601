"""The product's wheel holds the product: ``pip wheel .`` packs ``feature_repo`` alone, and the
development tools (``devtools``, the SageMaker emulator) are a distribution of their own, built from
``tools/``, with their console scripts."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile

import pytest

from feature_repo.core.paths import REPO_ROOT

pytestmark = pytest.mark.integration


# Left out of the copy the wheel is built from: what no build reads, and the bulky working data.
NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv*", "data", "build", "dist", "site", "*.egg-info", "__pycache__", ".*_cache"
)


def _wheel(source, directory) -> zipfile.ZipFile:
    """The wheel of a copy of ``source``: setuptools builds in the tree it is given (``build/``),
    and a ``build/lib`` inside the repository would meet a concurrent ``feast apply``, which
    imports every module under the root it has not yet been told to ignore."""
    copy = directory / "source"
    shutil.copytree(source, copy, ignore=NOT_SOURCES)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w",
                    str(directory), str(copy)], check=True, timeout=600)  # fmt: skip
    (built,) = directory.glob("*.whl")
    return zipfile.ZipFile(built)


def _top_level(wheel: zipfile.ZipFile) -> set[str]:
    return {
        name.split("/")[0]
        for name in wheel.namelist()
        if not name.split("/")[0].endswith(".dist-info")
    }


def _entry_points(wheel: zipfile.ZipFile) -> str:
    (name,) = [n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt")]
    return wheel.read(name).decode()


def test_the_product_wheel_holds_feature_repo_alone(tmp_path):
    wheel = _wheel(REPO_ROOT, tmp_path)
    assert _top_level(wheel) == {"feature_repo"}
    assert "feature_repo/definitions/services.py" in wheel.namelist()
    assert "delivery-fs = feature_repo.cli:app" in _entry_points(wheel)
    assert "devtools" not in _entry_points(wheel) and "sagemaker_emulator" not in _entry_points(
        wheel
    )


def test_the_tools_are_a_distribution_of_their_own(tmp_path):
    wheel = _wheel(REPO_ROOT / "tools", tmp_path)
    assert _top_level(wheel) == {"devtools", "sagemaker_emulator"}
    scripts = _entry_points(wheel)
    assert "delivery-fs-bench = devtools.bench.cli:main" in scripts
    assert "sagemaker-emulator = sagemaker_emulator.cli:main" in scripts
