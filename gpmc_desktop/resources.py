"""Where bundled data files live: ``resources/`` in a checkout, inside the bundle when frozen."""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def contract_path(name: str) -> Path:
    """Path of a published API contract we check against (``openapi.yaml``, ``DynamicsGP.wsdl``)."""
    path = resources_dir() / "contracts" / name
    if not path.is_file():
        raise FileNotFoundError(f"bundled contract {name!r} is missing (looked in {path})")
    return path
