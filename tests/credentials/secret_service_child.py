"""Run by test_secret_service.py inside `dbus-run-session` with gnome-keyring unlocked: one step per process.

    python secret_service_child.py write|read

Secrets come from the environment (GPMC_TEST_PW, GPMC_TEST_KEY); one JSON line reports what was seen."""

from __future__ import annotations

import json
import os
import sys
from contextlib import closing

import secretstorage

from gpmc_desktop.credentials import GP_PASSWORD, MAILCHIMP_API_KEY, default_store


def _in_secret_service(service: str, username: str) -> bool:
    """Ask the daemon directly, bypassing keyring: proves the entry really lives in Secret Service."""
    with closing(secretstorage.dbus_init()) as bus:
        collection = secretstorage.get_default_collection(bus)
        return any(True for _ in collection.search_items({"service": service, "username": username}))


def main(step: str) -> dict[str, object]:
    pw, key = os.environ["GPMC_TEST_PW"], os.environ["GPMC_TEST_KEY"]
    store = default_store(sleep=lambda _s: None)
    report: dict[str, object] = {
        "backend_name": store.backend_name,
        "persistent": store.persistent,
        "where_text": store.where_text,
    }
    if step == "write":
        store.set("Fabrikam", GP_PASSWORD, pw)
        store.set("Fabrikam", MAILCHIMP_API_KEY, key)
        store.set("Contoso", GP_PASSWORD, "contoso-" + pw)
    else:  # a second process: what the first one wrote must be there
        report["read_ok"] = store.get("Fabrikam", GP_PASSWORD) == pw and store.get("Fabrikam", MAILCHIMP_API_KEY) == key
        report["namespaced"] = store.get("Contoso", GP_PASSWORD) == "contoso-" + pw
        report["direct"] = _in_secret_service("gpmc-desktop/Fabrikam", "gp_password")
        store.rename_profile("Contoso", "Northwind")
        report["renamed"] = store.get("Northwind", GP_PASSWORD) == "contoso-" + pw and not _in_secret_service(
            "gpmc-desktop/Contoso", "gp_password"
        )
        store.delete_profile("Fabrikam")
        report["deleted"] = store.get("Fabrikam", GP_PASSWORD) is None and not _in_secret_service(
            "gpmc-desktop/Fabrikam", "gp_password"
        )
    return report


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])), flush=True)
