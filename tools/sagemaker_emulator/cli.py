"""`sagemaker-emulator`: the SageMaker Feature Store emulator (both APIs) on 127.0.0.1 until interrupted."""

from __future__ import annotations

import argparse

from sagemaker_emulator.run import run_emulator


def parser() -> argparse.ArgumentParser:
    arguments = argparse.ArgumentParser(
        prog="sagemaker-emulator",
        description="Run the SageMaker Feature Store emulator (control and runtime APIs) on 127.0.0.1.",
    )
    arguments.add_argument(
        "--port",
        type=int,
        default=4599,
        help="Port on 127.0.0.1 (0: any free port, printed at start).",
    )
    arguments.add_argument(
        "--s3-endpoint",
        default=None,
        help="S3 endpoint for offline records, e.g. moto_server's (default: $AWS_ENDPOINT_URL_S3).",
    )
    arguments.add_argument("--region", default="us-east-1", help="Region the emulator reports.")
    arguments.add_argument(
        "--expired-access-key",
        action="append",
        default=[],
        help="Answer ExpiredTokenException to this access key (repeatable).",
    )
    arguments.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        help="Added latency of every call, in milliseconds.",
    )
    arguments.add_argument(
        "--creating-describes",
        type=int,
        default=1,
        help="Describes that report Creating before Created.",
    )
    arguments.add_argument(
        "--flush-seconds",
        type=float,
        default=2.0,
        help="How often buffered offline records are written to S3.",
    )
    return arguments


def main(argv: list[str] | None = None) -> None:
    options = parser().parse_args(argv)
    run_emulator(
        options.port,
        options.s3_endpoint,
        options.region,
        options.expired_access_key,
        options.latency_ms,
        options.creating_describes,
        options.flush_seconds,
    )


if __name__ == "__main__":
    main()
