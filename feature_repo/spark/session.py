"""The one way this project starts Spark, with the settings Feast 0.67 does not pass on itself.

Feast's Spark batch engine ignores ``batch_engine.spark_conf``, so the settings live in
``profiles/spark/spark-defaults.conf``, read through ``SPARK_CONF_DIR`` (an existing value is kept,
to point at a cluster's own). The Python workers must run this environment's interpreter
(``PYSPARK_PYTHON``, from ``sys.executable`` at run time), or they cannot import Feast; the driver
binds to the loopback interface (``SPARK_LOCAL_IP``). Feast picks up the active session.
"""

from __future__ import annotations

import os
import shutil
import sys
from typing import TYPE_CHECKING

from feature_repo.core.paths import REPO_ROOT
from feature_repo.spark.errors import SparkUnavailableError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

SPARK_CONF_DIR = REPO_ROOT / "profiles" / "spark"


def configure_spark_environment() -> None:
    """Set the variables that Spark reads at start (only SPARK_CONF_DIR keeps an existing value)."""
    os.environ.setdefault("SPARK_CONF_DIR", str(SPARK_CONF_DIR))
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")


def spark_session() -> SparkSession:
    """The active Spark session, or a new one configured by ``spark-defaults.conf``."""
    configure_spark_environment()
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise SparkUnavailableError(
            "Spark needs Java (17 or newer): install a JDK (Debian: apt-get install -y "
            "openjdk-17-jre-headless) or set JAVA_HOME."
        )
    try:
        from pyspark.sql import SparkSession
    except ImportError as error:
        raise SparkUnavailableError(
            "PySpark is not installed: pip install -c constraints.txt -e '.[spark]'."
        ) from error
    return SparkSession.getActiveSession() or SparkSession.builder.getOrCreate()
