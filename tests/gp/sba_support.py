"""What the SBA variant tests (company addressing, resource discovery) share: one Windows account that may open
every company (a module says ``GP_SIM = SIM``), and a source or settings for it against the module's
``gp_sba`` simulator."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import requests

from gpmc_desktop.demo.gp_sba import GPSimulator
from gpmc_desktop.gp.sba import SbaSource
from gpmc_desktop.gp.session import build_session
from gpmc_desktop.profile import GPSettings
from tests.simulators import GPSim

# The answer shapes the SBA client tolerates (the simulator's knobs), each read as the default shape.
SHAPE_VARIANTS: list[dict[str, Any]] = [
    {"dates": "wcf"},
    {"dates": "wcf_offset", "server_offset_minutes": -300},
    {"dates": "wcf_offset", "server_offset_minutes": 780},
    {"dates": "iso_offset", "server_offset_minutes": -480},
    {"document_type_names": True},
    {"list_key": "Items"},
    {"separate_addresses": True},
]


def variant_id(knobs: dict[str, Any]) -> str:
    return ",".join(f"{n}={v}" for n, v in knobs.items())


PW = "Sba-Variants-1!"
USER = "CORP\\svc-variants"
SIM = GPSim(users=[("CORP", "svc-variants", PW, {"*"})], customers=40, seed=13)


def settings(sim: GPSimulator, **changes: Any) -> GPSettings:
    base = GPSettings(url=sim.base_url, company="TWO", username=USER, ca_bundle=str(sim.ca_path),
                      timeout_seconds=10.0)
    return replace(base, **changes)


def source(sim: GPSimulator, **changes: Any) -> SbaSource:
    """One attempt per read: a test sees GP's first answer."""
    s = settings(sim, **changes)
    return SbaSource(s, build_session(s, PW), attempts=1)


def break_first_stream(src: SbaSource) -> None:
    """The source's first streamed answer breaks off after its first chunk (as a dropped connection does)."""
    broken = {"left": 1}
    real_get = src.session.get

    def get(url: str, **kwargs: Any) -> requests.Response:
        resp = real_get(url, **kwargs)
        if kwargs.get("stream") and broken["left"]:
            broken["left"] -= 1
            good = resp.iter_content

            def breaks(size: int = 1) -> Any:
                yield next(good(size))
                raise requests.exceptions.ChunkedEncodingError("connection broken: IncompleteRead")

            resp.iter_content = breaks  # type: ignore[method-assign]
        return resp

    src.session.get = get  # type: ignore[method-assign]
