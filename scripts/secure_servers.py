"""Start Feast's three servers with a secured profile, bound to loopback unless told otherwise.

    .venv/bin/python scripts/secure_servers.py [--config profiles/feature_store.secure.yaml]
        [--host 127.0.0.1] [--online-port 6566] [--offline-port 8815] [--registry-port 6570]

The feature server (`feast serve`), the offline Arrow Flight server (`feast serve_offline`) and the
registry server (`feast serve_registry`, gRPC) run until this process is interrupted; one line says
when all three listen. Feast 0.67's gRPC registry server binds every interface whatever the host:
keep its port closed to other machines (a firewall or security group) or put it behind a proxy.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import yaml

BIN_DIR = Path(sys.executable).parent
REPO_ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 120


def _commands(config: str, host: str, online: int, offline: int, registry: int) -> list[list[str]]:
    feast = [str(BIN_DIR / "feast"), "-f", config]
    return [
        [*feast, "serve", "-h", host, "-p", str(online), "--max-requests", "0", "--no-access-log"],
        [*feast, "serve_offline", "-h", host, "-p", str(offline)],
        [*feast, "serve_registry", "-p", str(registry)],
    ]


def _refuse_unsafe(config: Path) -> None:
    from feature_repo.core.profiles import missing_variables

    missing = missing_variables(config)
    if missing:
        sys.exit(
            f"error: {config} uses {', '.join(missing)}: export them (README, access control)."
        )
    if os.environ.get("INTRA_COMMUNICATION_BASE64"):
        sys.exit(
            "error: INTRA_COMMUNICATION_BASE64 is set: Feast 0.67 then accepts an unsigned token "
            "naming that value as a superuser. Unset it before starting the secured servers."
        )
    auth = (yaml.safe_load(config.read_text()) or {}).get("auth") or {}
    if auth.get("type") != "oidc":
        sys.exit(f"error: {config} has no `auth: type: oidc`: these servers would serve anyone.")


def _listening(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1" if host in ("0.0.0.0", "::") else host, port)) == 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="profiles/feature_store.secure.yaml")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--online-port", type=int, default=6566)
    parser.add_argument("--offline-port", type=int, default=8815)
    parser.add_argument("--registry-port", type=int, default=6570)
    args = parser.parse_args(argv)
    config = Path(args.config).resolve()
    _refuse_unsafe(config)
    ports = {"feature server": args.online_port, "offline server": args.offline_port,
             "registry server": args.registry_port}  # fmt: skip
    commands = _commands(str(config), args.host, *ports.values())
    processes = [subprocess.Popen(command, cwd=REPO_ROOT) for command in commands]

    def stop(*_, code: int = 0):
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        sys.exit(code)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    deadline = time.monotonic() + STARTUP_SECONDS
    waiting = dict(ports)
    while waiting and time.monotonic() < deadline:
        for (name, port), process in zip(ports.items(), processes, strict=True):
            if process.poll() is not None:
                print(f"error: the {name} exited with code {process.returncode}", file=sys.stderr)
                stop(code=1)
            if name in waiting and _listening(args.host, port):
                del waiting[name]
        time.sleep(0.3)
    if waiting:
        print(
            f"error: not listening after {STARTUP_SECONDS} s: {', '.join(waiting)}", file=sys.stderr
        )
        stop(code=1)
    print(
        f"secured servers ready: feature server http://{args.host}:{args.online_port}, "
        f"offline server {args.host}:{args.offline_port}, registry server port {args.registry_port}",
        flush=True,
    )
    while True:
        for process in processes:
            if process.poll() is not None:
                print(f"error: a server exited with code {process.returncode}", file=sys.stderr)
                stop(code=1)
        time.sleep(1)


if __name__ == "__main__":
    main()
