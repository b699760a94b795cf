"""Pipelines (MLOps): publish a job's figures where Prometheus reads them (Pushgateway, textfile).

Batch jobs end before Prometheus could scrape them, so they push: with `PUSHGATEWAY_URL` set, the
figures replace the job's previous ones on the gateway, where they stay until the next run (the
alerts in infra/k8s/components/monitoring read them there). A push that fails is reported and
does not fail the job: the job's own output is what matters, and the stale figures page anyway.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.error import URLError

from prometheus_client import CollectorRegistry, push_to_gateway, write_to_textfile

from {{ cookiecutter.package_name }}_core.project import SLUG

PUSHGATEWAY_ENV = "PUSHGATEWAY_URL"
PUSH_TIMEOUT_SECONDS = 10.0
# The `job` label of everything this project pushes; the alerting rules select on it.
JOB_PREFIX = SLUG


def push(registry: CollectorRegistry, job: str) -> bool:
    """Push to the gateway named by PUSHGATEWAY_URL; False (with a message) when unset or unreachable."""
    gateway = os.environ.get(PUSHGATEWAY_ENV, "").strip()
    if not gateway:
        return False
    name = f"{JOB_PREFIX}-{job}"
    try:
        push_to_gateway(gateway, job=name, registry=registry, timeout=PUSH_TIMEOUT_SECONDS)
    except (URLError, OSError) as error:
        print(f"warning: could not push {name} metrics to {gateway}: {error}", file=sys.stderr)
        return False
    print(f"pushed {name} metrics to {gateway}")
    return True


def write_textfile(registry: CollectorRegistry, path: Path) -> None:
    """The same figures in the text format (node_exporter's textfile collector reads it), written atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(path), registry)
