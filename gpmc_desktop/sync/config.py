"""A sync profile as IT writes it in TOML (``gpmc sync --config FILE``).

The keys are a published contract: extend, never rename.  Secrets are never read from the file; headless runs
take them from ``GPMC_GP_PASSWORD`` and ``GPMC_MAILCHIMP_API_KEY``, the desktop app from the OS keyring.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

GP_APIS = ("sba", "soap")
GP_AUTH_METHODS = ("ntlm", "kerberos", "negotiate", "basic")
STATUS_IF_NEW = ("transactional", "subscribed", "pending")
SECRET_KEYS = {"password", "api_key", "apikey", "secret", "token"}

_HOST_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")

ENV_GP_PASSWORD = "GPMC_GP_PASSWORD"
ENV_MAILCHIMP_API_KEY = "GPMC_MAILCHIMP_API_KEY"


class ConfigError(ValueError):
    """A profile that cannot be used, with a message that says which key and what to do."""


@dataclass(frozen=True)
class GPSettings:
    url: str
    company: str
    username: str
    api: str = "sba"
    tenant: str = "DefaultTenant"
    auth: str = "ntlm"
    ca_bundle: str | None = None
    timeout_seconds: float = 120.0
    # api = "soap" only: the endpoint path on the server url (default: the legacy .asmx endpoint), the list
    # row cap GP Web Services enforces, and how often a full comparison re-reads everything (e-mail-only edits
    # do not move ModifiedDate, so the incremental poll cannot see them).
    soap_path: str | None = None
    soap_list_cap: int = 1000
    full_compare_days: float = 7.0
    # Kerberos only: the name the GP server is registered under (HTTP/<spn_host>) when the URL's host differs,
    # e.g. a URL written with an IP address or a DNS alias.  Default: the URL's host.
    spn_host: str | None = None


@dataclass(frozen=True)
class MailchimpSettings:
    list_id: str
    store_id: str
    status_if_new: str = "transactional"
    api_base: str | None = None
    max_connections: int = 5


@dataclass(frozen=True)
class SyncFilters:
    skip_inactive: bool = True
    skip_on_hold: bool = False
    customer_classes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Profile:
    name: str
    gp: GPSettings
    mailchimp: MailchimpSettings
    filters: SyncFilters = field(default_factory=SyncFilters)
    database: str | None = None


@dataclass(frozen=True)
class Secrets:
    gp_password: str = field(repr=False)
    mailchimp_api_key: str = field(repr=False)


def _section(doc: Mapping[str, Any], name: str, required: bool = True) -> Mapping[str, Any]:
    value = doc.get(name)
    if value is None:
        if required:
            raise ConfigError(f"the [{name}] section is missing")
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"[{name}] must be a table of keys")
    for key in value:
        if key.lower() in SECRET_KEYS:
            raise ConfigError(
                f"[{name}] {key}: secrets do not belong in the profile file; set {ENV_GP_PASSWORD} and "
                f"{ENV_MAILCHIMP_API_KEY} in the environment instead (the desktop app uses the keyring)"
            )
    return value


def _str(section: Mapping[str, Any], where: str, key: str, default: str | None = None) -> str:
    value = section.get(key, default)
    if value is None:
        raise ConfigError(f"[{where}] {key} is required")
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"[{where}] {key} must be a non-empty string")
    return value.strip()


def _choice(section: Mapping[str, Any], where: str, key: str, default: str, allowed: tuple[str, ...]) -> str:
    value = _str(section, where, key, default).lower()
    if value not in allowed:
        raise ConfigError(f"[{where}] {key} = {value!r} is not one of: {', '.join(allowed)}")
    return value


def _bool(section: Mapping[str, Any], where: str, key: str, default: bool) -> bool:
    value = section.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"[{where}] {key} must be true or false")
    return value


def _check_url(url: str, where: str, key: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"[{where}] {key} = {url!r} is not a server URL; write it like https://gp01.corp.example:443"
        )
    return url.rstrip("/")


def profile_from_mapping(doc: Mapping[str, Any]) -> Profile:
    prof = _section(doc, "profile", required=False)
    gp = _section(doc, "gp")
    mc = _section(doc, "mailchimp")
    flt = _section(doc, "filters", required=False)
    auth = _choice(gp, "gp", "auth", "ntlm", GP_AUTH_METHODS)
    url = _check_url(_str(gp, "gp", "url"), "gp", "url")
    if auth == "basic" and not url.lower().startswith("https://"):
        raise ConfigError("[gp] auth = \"basic\" sends the password in the clear: use an https:// url")
    timeout = gp.get("timeout_seconds", 120.0)
    if not isinstance(timeout, int | float) or not 1 <= timeout <= 3600:
        raise ConfigError("[gp] timeout_seconds must be a number between 1 and 3600")
    max_conn = mc.get("max_connections", 5)
    if not isinstance(max_conn, int) or not 1 <= max_conn <= 10:
        raise ConfigError("[mailchimp] max_connections must be a whole number from 1 to 10")
    classes = flt.get("customer_classes", [])
    if not isinstance(classes, list) or not all(isinstance(c, str) for c in classes):
        raise ConfigError("[filters] customer_classes must be a list of GP class ids")
    ca_bundle = gp.get("ca_bundle")
    if ca_bundle is not None and not isinstance(ca_bundle, str):
        raise ConfigError("[gp] ca_bundle must be the path of a PEM file")
    soap_path = gp.get("soap_path")
    if soap_path is not None and (not isinstance(soap_path, str) or not soap_path.strip().startswith("/")):
        raise ConfigError(
            "[gp] soap_path must be a path on the server, like /DynamicsGPWebServices/DynamicsGPService.asmx"
        )
    list_cap = gp.get("soap_list_cap", 1000)
    if not isinstance(list_cap, int) or isinstance(list_cap, bool) or not 10 <= list_cap <= 1_000_000:
        raise ConfigError("[gp] soap_list_cap must be a whole number from 10 to 1000000 (GP's default is 1000)")
    full_days = gp.get("full_compare_days", 7.0)
    if not isinstance(full_days, int | float) or isinstance(full_days, bool) or not 0 <= full_days <= 366:
        raise ConfigError("[gp] full_compare_days must be a number of days from 0 (every run) to 366")
    spn_host = gp.get("spn_host")
    if spn_host is not None and (not isinstance(spn_host, str) or not _HOST_NAME.fullmatch(spn_host.strip())):
        raise ConfigError(
            "[gp] spn_host must be the GP server's name as registered for Kerberos, like gp01.corp.example "
            "(no https://, no port)"
        )
    api_base = mc.get("api_base")
    if api_base is not None:
        api_base = _check_url(_str(mc, "mailchimp", "api_base"), "mailchimp", "api_base")
    database = prof.get("database")
    if database is not None and not isinstance(database, str):
        raise ConfigError("[profile] database must be a file path")
    return Profile(
        name=_str(prof, "profile", "name", "default"),
        database=database,
        gp=GPSettings(
            api=_choice(gp, "gp", "api", "sba", GP_APIS),
            url=url,
            tenant=_str(gp, "gp", "tenant", "DefaultTenant"),
            company=_str(gp, "gp", "company"),
            auth=auth,
            username=_str(gp, "gp", "username"),
            ca_bundle=ca_bundle,
            timeout_seconds=float(timeout),
            soap_path=soap_path.strip() if soap_path else None,
            soap_list_cap=list_cap,
            full_compare_days=float(full_days),
            spn_host=spn_host.strip() if spn_host else None,
        ),
        mailchimp=MailchimpSettings(
            list_id=_str(mc, "mailchimp", "list_id"),
            store_id=_str(mc, "mailchimp", "store_id"),
            status_if_new=_choice(mc, "mailchimp", "status_if_new", "transactional", STATUS_IF_NEW),
            api_base=api_base,
            max_connections=max_conn,
        ),
        filters=SyncFilters(
            skip_inactive=_bool(flt, "filters", "skip_inactive", True),
            skip_on_hold=_bool(flt, "filters", "skip_on_hold", False),
            customer_classes=tuple(c.strip() for c in classes if c.strip()),
        ),
    )


def load_profile(path: str | os.PathLike[str]) -> Profile:
    file = Path(path)
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"config file {file} does not exist") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {file}: {exc.strerror}") from None
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {file} is not valid TOML: {exc}") from None
    return profile_from_mapping(doc)


def secrets_from_env(env: Mapping[str, str] | None = None) -> Secrets:
    env = os.environ if env is None else env
    missing = [name for name in (ENV_GP_PASSWORD, ENV_MAILCHIMP_API_KEY) if not env.get(name)]
    if missing:
        raise ConfigError(f"set {' and '.join(missing)} in the environment (headless runs read them there)")
    return Secrets(gp_password=env[ENV_GP_PASSWORD], mailchimp_api_key=env[ENV_MAILCHIMP_API_KEY].strip())
