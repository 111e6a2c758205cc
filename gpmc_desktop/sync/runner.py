"""Wire one profile's clients and state together and run the engine: the entry point the CLI and GUI share."""

from __future__ import annotations

import logging
import threading
from dataclasses import asdict

from gpmc_desktop import store
from gpmc_desktop.gp.sba import SbaSource
from gpmc_desktop.gp.session import build_session
from gpmc_desktop.logsetup import register_secret
from gpmc_desktop.mailchimp.api import MailchimpApi
from gpmc_desktop.mailchimp.keys import BadApiKey, api_base_for
from gpmc_desktop.mailchimp.transport import MailchimpTransport
from gpmc_desktop.sync.bookkeeping import Bookkeeping
from gpmc_desktop.sync.config import ConfigError, Profile, Secrets
from gpmc_desktop.sync.engine import ProgressFn, SyncEngine
from gpmc_desktop.sync.report import RunReport

log = logging.getLogger(__name__)


def save_profile_settings(profile: Profile) -> int:
    """Store the profile's non-secret settings (the audit and the GUI show them) and return its id."""
    row = store.save_profile(
        profile.name,
        gp_api=profile.gp.api,
        gp_url=profile.gp.url,
        gp_tenant=profile.gp.tenant,
        gp_company=profile.gp.company,
        gp_auth=profile.gp.auth,
        gp_username=profile.gp.username,
        gp_ca_bundle=profile.gp.ca_bundle,
        mailchimp_list_id=profile.mailchimp.list_id,
        mailchimp_store_id=profile.mailchimp.store_id,
        mailchimp_status_if_new=profile.mailchimp.status_if_new,
        mailchimp_api_base=profile.mailchimp.api_base,
        filters={**asdict(profile.filters), "customer_classes": list(profile.filters.customer_classes)},
    )
    return row.id


def make_api(profile: Profile, api_key: str) -> tuple[MailchimpApi, MailchimpTransport]:
    try:
        base = api_base_for(api_key, profile.mailchimp.api_base)
    except BadApiKey as err:
        raise ConfigError(str(err)) from None
    transport = MailchimpTransport(base, api_key, max_connections=profile.mailchimp.max_connections)
    return MailchimpApi(transport), transport


def make_source(profile: Profile, password: str) -> SbaSource:
    if profile.gp.api != "sba":
        raise ConfigError(f"[gp] api = {profile.gp.api!r} is not supported by this version; use \"sba\"")
    return SbaSource(profile.gp, build_session(profile.gp, password))


def run_profile(
    profile: Profile,
    secrets: Secrets,
    *,
    full: bool = False,
    dry_run: bool = False,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
) -> RunReport:
    """One poll cycle of *profile*; the state store must be open."""
    register_secret(secrets.gp_password)
    register_secret(secrets.mailchimp_api_key)
    profile_id = save_profile_settings(profile)
    log.info("sync of profile %r starts (full=%s, dry_run=%s)", profile.name, full, dry_run)
    api, transport = make_api(profile, secrets.mailchimp_api_key)
    source = make_source(profile, secrets.gp_password)
    try:
        engine = SyncEngine(profile, source, api, Bookkeeping(profile_id), progress=progress, cancel=cancel)
        report = engine.run(full=full, dry_run=dry_run)
    except Exception:
        log.exception("sync of profile %r crashed", profile.name)
        raise
    finally:
        transport.close()
        source.session.close()
    log.info("run %s of %r: %s customers=%s orders=%s%s", report.run_id, profile.name, report.outcome,
             report.customers, report.orders, f" error={report.error}" if report.error else "")
    return report
