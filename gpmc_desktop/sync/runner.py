"""Wire one profile's clients and state together and run the engine: the entry point the CLI and GUI share."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from gpmc_desktop import store
from gpmc_desktop.gp.sba import SbaSource
from gpmc_desktop.gp.sba_address import CompanyAddress
from gpmc_desktop.gp.session import build_session
from gpmc_desktop.gp.sources import gp_source
from gpmc_desktop.logsetup import register_api_key, register_secret
from gpmc_desktop.mailchimp.api import MailchimpApi
from gpmc_desktop.mailchimp.keys import BadApiKey, api_base_for
from gpmc_desktop.mailchimp.transport import MailchimpTransport
from gpmc_desktop.profile import ConfigError, Profile, Secrets, first_sync_problems
from gpmc_desktop.sync.bookkeeping import Bookkeeping
from gpmc_desktop.sync.engine import ProgressFn, SyncEngine
from gpmc_desktop.sync.report import RunReport

if TYPE_CHECKING:
    from gpmc_desktop.gp.soap import SoapSource
    from gpmc_desktop.gp.soap_sync import SoapPollingSource

log = logging.getLogger(__name__)


def save_profile_settings(profile: Profile) -> int:
    """Store the profile's settings (the audit and the GUI show them) and return its id."""
    return store.save_profile(profile.name, settings=profile).id


def profile_first_load_done(profile: Profile) -> bool:
    """Whether *profile*'s first load finished, read from the open state store without writing to it."""
    row = store.get_profile(profile.name)
    return store.first_load_done(row.id if row is not None else None)


def refuse_unchosen_first_sync(profile: Profile) -> None:
    """ConfigError (exit 2) naming each choice a new profile must make that *profile* leaves out, unless its
    first load is done: then the defaults keep what the profile meant before those keys existed.  The state
    store must be open; nothing is written."""
    if profile.unchosen and not profile_first_load_done(profile):
        raise ConfigError(first_sync_problems(profile))


def make_api(profile: Profile, api_key: str) -> tuple[MailchimpApi, MailchimpTransport]:
    try:
        base = api_base_for(api_key, profile.mailchimp.api_base)
    except BadApiKey as err:
        raise ConfigError(str(err)) from None
    transport = MailchimpTransport(base, api_key, max_connections=profile.mailchimp.max_connections)
    return MailchimpApi(transport), transport


GP_COMPANY_ADDRESS = "gp_company_address"  # engine state: how GP took the company in its URLs (SBA)


def make_source(
    profile: Profile, password: str, *, full: bool = False, profile_id: int | None = None
) -> SbaSource | SoapSource | SoapPollingSource:
    """The GP source of the profile's ``api``.  With a *profile_id* (the state store open), an SBA source starts
    from the company address GP accepted on an earlier run, and keeps a newly found one for the next; a SOAP
    source reads incrementally from where its last read ended, and re-reads everything when *full* or a full
    comparison is due."""
    remembered, remember = None, None
    if profile_id is not None:
        remembered = CompanyAddress.from_state(store.get_state(profile_id, GP_COMPANY_ADDRESS))

        def remember(address: CompanyAddress) -> None:
            store.set_state(profile_id, GP_COMPANY_ADDRESS, address.to_state())

    source = gp_source(profile.gp, build_session(profile.gp, password), company_address=remembered,
                       on_company_address=remember)
    if isinstance(source, SbaSource) or profile_id is None:
        return source
    # Imported here: zeep and the WSDL parse are only paid for by SOAP profiles.
    from gpmc_desktop.gp.soap_sync import SoapPollingSource

    return SoapPollingSource(source, profile_id, full=full)


def run_profile(
    profile: Profile,
    secrets: Secrets,
    *,
    full: bool = False,
    dry_run: bool = False,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
    confirm_mass_change: bool = False,
    trigger: store.RunKind = store.RunKind.SCHEDULED,
    holder: str = "gpmc sync",
    wait_s: float = 0.0,
) -> RunReport:
    """One poll cycle of *profile*; the state store must be open.  A first sync of a profile that has not made
    every choice a new profile must make is refused (ConfigError) before anything is written; a dry run, which
    sends nothing, may preview it.  *confirm_mass_change*: a person confirmed this run's changes, however many
    of Mailchimp's records they touch (``[sync] mass_change_percent``); the next run is guarded again.  *trigger*:
    what started the run, as the runs table records it (headless ``gpmc sync`` is what a task scheduler runs:
    Scheduled); the first load, a full comparison and a preview are recorded as such whatever started them.

    The run holds the profile's run lock (store/run_lock.py) from before its first write to its end: if another
    process is syncing the profile (the tray app, another ``gpmc sync``), ProfileBusyError after waiting up to
    *wait_s* seconds, with nothing written.  *holder* names this program in the message such a run gives.  With
    the lock held, a run still marked running in the database was left by a process that died: it is closed."""
    register_secret(secrets.gp_password)
    register_api_key(secrets.mailchimp_api_key)
    if not dry_run:
        refuse_unchosen_first_sync(profile)
    with store.profile_run_lock(profile.name, program=holder, wait_s=wait_s, cancel=cancel):
        profile_id = save_profile_settings(profile)
        closed = store.close_runs_left_open(profile_id)
        if closed:
            log.warning("%d run(s) of profile %r were left running by a process that stopped; marked failed",
                        closed, profile.name)
        return _run_locked(profile, profile_id, secrets, full=full, dry_run=dry_run, progress=progress,
                           cancel=cancel, confirm_mass_change=confirm_mass_change, trigger=trigger)


def _run_locked(
    profile: Profile, profile_id: int, secrets: Secrets, *, full: bool, dry_run: bool, progress: ProgressFn | None,
    cancel: threading.Event | None, confirm_mass_change: bool, trigger: store.RunKind,
) -> RunReport:
    log.info("sync of profile %r starts (full=%s, dry_run=%s)", profile.name, full, dry_run)
    api, transport = make_api(profile, secrets.mailchimp_api_key)
    source = make_source(profile, secrets.gp_password, full=full, profile_id=profile_id)
    try:
        engine = SyncEngine(profile, source, api, Bookkeeping(profile_id), progress=progress, cancel=cancel)
        report = engine.run(full=full, dry_run=dry_run, confirm_mass_change=confirm_mass_change, trigger=trigger)
    except Exception:
        log.exception("sync of profile %r crashed", profile.name)
        raise
    finally:
        transport.close()
        source.session.close()
    log.info("run %s of %r: %s customers=%s orders=%s%s", report.run_id, profile.name, report.outcome,
             report.customers, report.orders, f" error={report.error}" if report.error else "")
    return report
