"""VARIANT unhealthy: /healthz always fails, so a deploy's health gate must stop the rollout.

Replaces demo/health.py: same interface, no real checks.
"""

from __future__ import annotations


def run_checks() -> dict[str, str]:
    return {"database": "ok", "broker": "ok", "variant": "unhealthy image: /healthz fails on purpose"}
