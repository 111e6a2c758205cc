"""Re-make the GP sample fixtures: one redacted sample per answer-shape variant of the GP simulator, captured
the way ``gpmc capture`` captures (``sync.gp_sample.write_gp_sample``) and unzipped into ``<variant>/``.

    PYTHONPATH=. python -m tests.gp.samples.capture_samples

Every variant is captured from the same data set with the same redaction salt, so all of them hold the same
placeholders and one ``expected.json`` (computed here from the simulator's data set, not from any answer) says
what a sync of any of them must leave in Mailchimp.  A sample from a real server is added by hand instead: see
docs/gp-samples.md.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from gpmc_desktop.demo.environment import DemoEnvironment
from gpmc_desktop.demo.gp_sba_shapes import ShapeOptions, customer_payload, document_payload
from gpmc_desktop.demo.mailchimp_sim.config import DEFAULT_FAKE_DOMAINS
from gpmc_desktop.gp.sample_redaction import Redaction
from gpmc_desktop.gp.sba_shapes import customer_from_sba
from gpmc_desktop.profile import load_profile
from gpmc_desktop.sync.gp_sample import write_gp_sample

HERE = Path(__file__).resolve().parent
SALT = b"gpmc-desktop GP sample fixtures"  # fixed: the variants must redact alike (a real capture draws one)
CUSTOMERS_IN_DATASET, SEED = 40, 5
KEEP_CUSTOMERS, KEEP_DOCUMENTS = 6, 12
INVOICE = 1

# Item 3 of issue 12: each plausible shape of a real server's answers, as the simulator's knobs.
VARIANTS: dict[str, dict[str, Any]] = {
    "contract": {},  # ISO dates, {"Value": n} amounts, numeric types, Payload a list, embedded addresses
    "iso_offset_dates": {"dates": "iso_offset", "server_offset_minutes": -480},
    "wcf_dates": {"dates": "wcf"},
    "wcf_offset_dates": {"dates": "wcf_offset", "server_offset_minutes": -300},
    "amounts_as_strings": {"amount_shape": "string"},
    "amounts_as_numbers": {"amount_shape": "number"},
    "document_type_names": {"document_type_names": True},
    "payload_list_key": {"list_key": "Items"},
    "separate_addresses": {"separate_addresses": True},
    "missing_current_amount": {"omit_fields": ("CurrentAmount",)},
}


def _two_decimals(value: Any) -> str:
    return str(Decimal(str(value)).quantize(Decimal("0.01")))


def expected(env: DemoEnvironment, redaction: Redaction) -> dict[str, Any]:
    """What a first sync of the contract-shaped sample must leave in Mailchimp, from the data set: the members
    (the kept customers' e-mails, redacted) and the orders (their kept invoices) with total, status and date."""
    data = env.dataset.find_company("TWO")
    assert data is not None
    shape = ShapeOptions()
    numbers = sorted(data.customers)[:KEEP_CUSTOMERS]  # the simulator serves customers in key order
    kept = {n.strip().upper() for n in numbers}
    synced: dict[str, str] = {}
    for number in numbers:
        raw = customer_payload(data, data.customers[number], shape)
        email = customer_from_sba(raw).email
        if not email or not raw["IsActive"]:
            continue
        placeholder = redaction.text(email).lower()
        domain = placeholder.rpartition("@")[2]
        if any(domain == d or domain.endswith("." + d) for d in DEFAULT_FAKE_DOMAINS):
            continue
        synced[number.strip().upper()] = placeholder
    documents = [document_payload(data, row, state, shape) for row, state in data.documents()]
    documents = [d for d in documents if d["CustomerNumber"].strip().upper() in kept][:KEEP_DOCUMENTS]
    orders = {}
    for doc in documents:
        if doc["DocumentType"] != INVOICE or doc["CustomerNumber"].strip().upper() not in synced:
            continue
        if doc["IsVoided"]:
            status = "cancelled"
        else:
            status = "paid" if Decimal(str(doc["CurrentAmount"]["Value"])) == 0 else "pending"
        orders[redaction.text(doc["DocumentNumber"].strip())] = {
            "customer": redaction.text(doc["CustomerNumber"].strip()),
            "email": synced[doc["CustomerNumber"].strip().upper()],
            "total": _two_decimals(doc["OriginalAmount"]["Value"]),
            "status": status,
            "date": doc["DocumentDate"][:10],
        }
    return {"members": sorted(set(synced.values())), "orders": orders}


def _steady(folder: Path, env: DemoEnvironment, work: Path) -> None:
    """The run's ports and temporary paths replaced by steady stand-ins, so re-made fixtures differ only where
    the answers do (the test points the profile at its own servers anyway)."""
    netloc = env.gp.base_url.split("://", 1)[1]
    for name in ("profile.toml", "check.txt"):
        path = folder / name
        text = path.read_text(encoding="utf-8").replace(netloc, "gp01.corp.example:443").replace(
            str(work), "/tmp/gpmc-samples").replace(env.mailchimp.api_base, "https://us6.api.mailchimp.com/3.0")
        path.write_text(text.replace("https://127.0.0.1", "https://gp01.corp.example"), encoding="utf-8")


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="gpmc-samples-"))
    env = DemoEnvironment(customers=CUSTOMERS_IN_DATASET, seed=SEED, workdir=work).start()
    try:
        profile = load_profile(env.write_profile())
        for variant, knobs in VARIANTS.items():
            env.gp.set_options(**{**{f: getattr(type(env.gp.options)(), f) for f in ("dates", "amount_shape",
                                  "document_type_names", "list_key", "omit_fields", "separate_addresses",
                                  "server_offset_minutes")}, **knobs})
            zip_path = work / f"{variant}.zip"
            redaction = Redaction(salt=SALT)
            write_gp_sample(zip_path, profile, env.secrets.gp_password,
                            secrets=[env.secrets.gp_password, env.secrets.mailchimp_api_key],
                            customers=KEEP_CUSTOMERS, documents=KEEP_DOCUMENTS, redaction=redaction)
            folder = HERE / variant
            shutil.rmtree(folder, ignore_errors=True)
            with zipfile.ZipFile(zip_path) as sample:
                sample.extractall(folder)
            _steady(folder, env, work)
            (folder / "variant.json").write_text(json.dumps(knobs, indent=2) + "\n", encoding="utf-8")
            if variant == "contract":
                (HERE / "expected.json").write_text(json.dumps(expected(env, redaction), indent=2) + "\n",
                                                    encoding="utf-8")
            print(f"{variant}: {sorted(p.name for p in (folder / 'gp').iterdir())}")
    finally:
        env.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
