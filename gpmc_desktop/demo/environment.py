"""The GP and Mailchimp simulators with seeded data, and a profile that points at them: the built-in demo.

``gp_api`` picks the GP side: the SBA (REST) simulator, the Web Services (SOAP) simulator, or both over the
one data set (so the two APIs can be compared).

The CLI (``gpmc demo``), the tray app's demo mode and the tests all start the demo through this one class.
The demo's credentials are throwaway values of the simulators, not anybody's secrets.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from gpmc_desktop.demo.gp_generate import generate_dataset
from gpmc_desktop.demo.gp_sba import GPSimulator
from gpmc_desktop.demo.gp_soap import GPSoapSimulator
from gpmc_desktop.demo.mailchimp_sim import DEMO_LIST_ID, MailchimpSimulator, demo_key
from gpmc_desktop.profile import Secrets

DEMO_DOMAIN, DEMO_USER, DEMO_PASSWORD = "CORP", "svc-gp", "Gp-Demo-2024!"
DEMO_COMPANY = "TWO"
DEMO_STORE = "gp-two"
DEMO_DC = "us6"
GP_APIS = ("sba", "soap", "both")


@dataclass
class DemoEnvironment:
    customers: int = 500
    seed: int = 7
    workdir: Path | None = None
    gp_port: int = 0
    mailchimp_port: int = 0
    host: str = "127.0.0.1"
    gp_api: str = "sba"  # "sba", "soap" or "both"
    soap_port: int = 0

    def __post_init__(self) -> None:
        if self.gp_api not in GP_APIS:
            raise ValueError(f"gp_api must be one of {GP_APIS}, not {self.gp_api!r}")
        self._own_dir = self.workdir is None
        if self.workdir is None:
            self.workdir = Path(tempfile.mkdtemp(prefix="gpmc-demo-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.dataset = generate_dataset(self.customers, seed=self.seed)
        self.gp = GPSimulator(
            self.dataset, host=self.host, port=self.gp_port,
            users=[(DEMO_DOMAIN, DEMO_USER, DEMO_PASSWORD, {"*"})], workdir=self.workdir / "gp",
        )
        # The SOAP endpoint is plain HTTP, as the legacy endpoint on port 48620 usually is.
        self.gp_soap: GPSoapSimulator | None = None
        if self.gp_api != "sba":
            self.gp_soap = GPSoapSimulator(
                self.dataset, host=self.host, port=self.soap_port,
                users=[(DEMO_DOMAIN, DEMO_USER, DEMO_PASSWORD, {"*"})], workdir=self.workdir / "gp-soap",
            )
        self.mailchimp = MailchimpSimulator(
            host=self.host, port=self.mailchimp_port, dc=DEMO_DC, seed=self.seed,
            cache_dir=self.workdir / "cache",
        )

    def start(self) -> DemoEnvironment:
        if self.gp_api != "soap":
            self.gp.start()
        if self.gp_soap is not None:
            self.gp_soap.start()
        self.mailchimp.start()
        return self

    def stop(self) -> None:
        self.mailchimp.stop()
        if self.gp_soap is not None:
            self.gp_soap.stop()
        self.gp.stop()

    def __enter__(self) -> DemoEnvironment:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    profile_list_id = DEMO_LIST_ID
    profile_store_id = DEMO_STORE

    @property
    def api_key(self) -> str:
        return demo_key(DEMO_DC)

    @property
    def secrets(self) -> Secrets:
        return Secrets(gp_password=DEMO_PASSWORD, mailchimp_api_key=self.api_key)

    @property
    def database_path(self) -> Path:
        assert self.workdir is not None
        return self.workdir / "state.sqlite"

    def profile_toml(self, **overrides: str) -> str:
        """A profile file for ``gpmc sync --config`` against the running simulators.

        ``api="soap"`` (the default when only the SOAP simulator runs) points at the Web Services endpoint; the
        company is then its display name, since Web Services knows no database names.  ``automations`` is "on"
        (the demo shows the first load framed by is_syncing), "off", or "" to leave the key out."""
        api = overrides.pop("api", "soap" if self.gp_api == "soap" else "sba")
        soap = api == "soap"
        if soap and self.gp_soap is None:
            raise ValueError("the SOAP simulator is not part of this demo (gp_api='sba')")
        company = self.dataset.find_company(DEMO_COMPANY)
        values = {
            "name": "Demo (Fabrikam)",
            "database": str(self.database_path),
            "url": self.gp_soap.base_url if soap and self.gp_soap else self.gp.base_url,
            "company": company.name if soap and company else DEMO_COMPANY,
            "username": f"{DEMO_DOMAIN}\\\\{DEMO_USER}",
            "ca_bundle": "" if soap else str(self.gp.ca_path),
            "list_id": DEMO_LIST_ID,
            "store_id": DEMO_STORE,
            "status_if_new": "transactional",
            "automations": "on",
            "api_base": self.mailchimp.api_base,
            **overrides,
        }
        gp_lines = [
            f'api = "{api}"',
            f'url = "{values["url"]}"',
            'tenant = "DefaultTenant"',
            f'company = "{values["company"]}"',
            'auth = "ntlm"',
            f'username = "{values["username"]}"',
            *([f'ca_bundle = "{values["ca_bundle"]}"'] if values["ca_bundle"] else []),
            # Numbers, written as TOML numbers: soap_list_cap="50", full_compare_days="0" (SOAP), timeout_seconds="2"
            *(f"{key} = {values[key]}" for key in ("soap_list_cap", "full_compare_days", "timeout_seconds")
              if key in values),
            *([f'time_zone = "{values["time_zone"]}"'] if values.get("time_zone") else []),
        ]
        return (
            "[profile]\n"
            f'name = "{values["name"]}"\n'
            f'database = "{values["database"]}"\n'
            "[gp]\n" + "".join(f"{line}\n" for line in gp_lines) +
            "[mailchimp]\n"
            f'list_id = "{values["list_id"]}"\n'
            f'store_id = "{values["store_id"]}"\n'
            f'status_if_new = "{values["status_if_new"]}"\n'
            + (f'automations = "{values["automations"]}"\n' if values["automations"] else "") +
            f'api_base = "{values["api_base"]}"\n'
        )

    def write_profile(self, name: str = "demo-profile.toml", **overrides: str) -> Path:
        assert self.workdir is not None
        path = self.workdir / name
        path.write_text(self.profile_toml(**overrides), encoding="utf-8")
        return path
