"""Where the bundled data files live (the API contracts, the icons).

The source is the top-level ``resources/`` folder of the repository.  Each way of running the app finds it in its
own place:

* a checkout (and an editable install, which imports from the checkout): ``<checkout>/resources/``;
* an installed wheel (``pip install .``, ``pip install gpmc_desktop-*.whl``): ``gpmc_desktop/_resources/``, where
  pyproject.toml's ``package-dir`` maps the package ``gpmc_desktop._resources`` onto ``resources/``;
* the frozen app (PyInstaller): ``<bundle>/resources/`` (installer/gpmc-desktop.spec puts it there).
"""

from __future__ import annotations

import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def resources_dir() -> Path:
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    installed = PACKAGE / "_resources"
    if installed.is_dir():
        return installed
    # A checkout.  Only here: next to an installed package, a "resources" folder would be somebody else's.
    return PACKAGE.parent / "resources"


def contract_path(name: str) -> Path:
    """Path of a published API contract we check against (``openapi.yaml``, ``DynamicsGP.wsdl``)."""
    path = resources_dir() / "contracts" / name
    if not path.is_file():
        raise FileNotFoundError(f"bundled contract {name!r} is missing (looked in {path})")
    return path
