"""Running the measured steps in subprocesses, preparing data sizes and stores, starting servers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from devtools.bench.batch_priority import lower_priority
from devtools.bench.steps import RESULT
from devtools.local_servers import BIN_DIR
from devtools.profile_files import profile_config
from feature_repo.core.paths import DATA_DIR_ENV, REPO_ROOT

PROJECT = "delivery_bench"


class BenchError(RuntimeError):
    """A benchmark step that failed; the message holds the end of its output."""


@dataclass
class Bench:
    """Where a run works (``work_dir``, under the ignored data/ directory) and how it reports."""

    work_dir: Path
    console: Console
    env: dict[str, str] = field(default_factory=dict)  # for every step (servers' endpoints)
    smoke: bool = False  # every section at a tiny size: proves the run works, figures meaningless

    def sized(self, full, smoke):
        """A count, duration or size of the run: ``full`` for figures, ``smoke`` for a smoke run."""
        return smoke if self.smoke else full

    def data_env(self, scale: float) -> dict[str, str]:
        return {**self.env, DATA_DIR_ENV: str(self.scale_dir(scale))}

    def scale_dir(self, scale: float) -> Path:
        return self.work_dir / f"x{scale:g}"

    def step(
        self, name: str, scale: float, module: str = "devtools.bench.steps", **arguments: Any
    ) -> dict[str, Any]:
        """Run one step of ``module`` (its ``main``) in a fresh process on one data size."""
        self.console.print(f"  [dim]{name} {_short(arguments)}[/]")
        completed = subprocess.run(
            [sys.executable, "-m", module, name, json.dumps(arguments)],
            cwd=REPO_ROOT,
            env={**os.environ, **self.data_env(scale)},
            capture_output=True,
            text=True,
        )
        lines = [line for line in completed.stdout.splitlines() if line.startswith(RESULT)]
        if completed.returncode != 0 or not lines:
            raise BenchError(
                f"step {name} failed ({completed.returncode}):\n{completed.stderr[-3000:]}"
            )
        return json.loads(lines[-1][len(RESULT) :])

    def cli(self, scale: float, *args: str, niceness: int = 0) -> str:
        """A console command of this environment (``delivery-fs``, ``feast``) on one data size;
        at a lower CPU priority for a positive ``niceness`` (a batch job beside serving:
        ``batch_priority``)."""
        completed = subprocess.run(
            [str(BIN_DIR / args[0]), *args[1:]],
            preexec_fn=(lambda: lower_priority(niceness)) if niceness else None,
            cwd=REPO_ROOT,
            env={**os.environ, **self.data_env(scale)},
            capture_output=True,
            text=True,
        )
        if completed.returncode != 0:
            raise BenchError(
                f"{' '.join(args)} failed ({completed.returncode}):\n{completed.stderr[-3000:]}"
            )
        return completed.stdout

    def generate(self, scale: float) -> None:
        """Raw data of one size (generate-data skips files already there with the same seed and size)."""
        raw = self.scale_dir(scale) / "raw"
        self.cli(scale, "delivery-fs", "generate-data", "--scale", f"{scale:g}", "--out", str(raw))

    def applied_store(self, scale: float, profile: str, variables: dict[str, str]) -> Path:
        """A fresh registry and online store of ``profile`` on one data size, applied."""
        directory = self.scale_dir(scale) / profile
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        config = profile_config(profile, directory, variables, PROJECT)
        self.cli(scale, "feast", "-f", str(config), "apply")
        return config


def _short(arguments: dict[str, Any]) -> str:
    shown = {k: (f"<{len(v)}>" if isinstance(v, list) else v) for k, v in arguments.items()}
    return " ".join(f"{k}={Path(str(v)).name if '/' in str(v) else v}" for k, v in shown.items())
