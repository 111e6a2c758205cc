"""The wizard's background work, Qt-free: thin sequences over the core's staged checks.

Every function takes ``report`` (called with each `StageResult` as soon as it is known) and returns what the
next page needs (the company list, the audiences, the dry-run report).  The wording of every message is the
core's; this module only adds the stages the core has no function for (listing companies and audiences, a
sample customer) and the preview, which must not write to the state database before Finish.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from gpmc_desktop.gp.errors import GPError
from gpmc_desktop.gp.session import build_session
from gpmc_desktop.gp.sources import GPCompany, gp_source
from gpmc_desktop.logsetup import register_secret
from gpmc_desktop.mailchimp.api import MailchimpApi
from gpmc_desktop.mailchimp.errors import MailchimpError
from gpmc_desktop.mailchimp.keys import api_base_for
from gpmc_desktop.mailchimp.transport import MailchimpTransport, RetryPolicy
from gpmc_desktop.sync.bookkeeping import Bookkeeping
from gpmc_desktop.sync.check import StageResult, check_gp, check_mailchimp
from gpmc_desktop.sync.config import GPSettings, MailchimpSettings, Profile, Secrets
from gpmc_desktop.sync.engine import ProgressFn, SyncEngine
from gpmc_desktop.sync.report import RunReport
from gpmc_desktop.sync.runner import make_api, make_source

Report = Callable[[StageResult], None]


def _until(results: Iterator[StageResult], last: str, report: Report) -> bool:
    """Pass the core's stages on up to and including *last*; the generator is lazy, so the stages after it
    are never run.  True if all of them passed."""
    for result in results:
        report(result)
        if not result.ok:
            return False
        if result.stage == last:
            return True
    return False


# -- GP ---------------------------------------------------------------------------------------------------
def gp_connect(settings: GPSettings, password: str, report: Report) -> list[GPCompany] | None:
    """reach → tls → auth, then the company list the next page offers; None when a stage failed."""
    register_secret(password)
    if not _until(check_gp(settings, password), "auth", report):
        return None
    source = gp_source(settings, build_session(settings, password), attempts=1)
    try:
        companies: list[GPCompany] = list(source.companies())
    except GPError as err:
        report(StageResult("gp", "companies", False, str(err)))
        return None
    finally:
        source.session.close()
    if not companies:
        report(StageResult("gp", "companies", False,
                           f"{settings.username} signed in, but GP lists no company this user may open. "
                           "In GP, give the account access to a company (User Access Setup)."))
        return None
    names = ", ".join(c.label() for c in companies[:6]) + (" …" if len(companies) > 6 else "")
    report(StageResult("gp", "companies", True, f"{len(companies)} compan{'y' if len(companies) == 1 else 'ies'}: "
                                                  f"{names}"))
    return companies


@dataclass(frozen=True)
class CompanySample:
    """What the company page learnt: enough to suggest filters (the classes in use) and a store id."""

    customers: int
    with_email: int
    classes: dict[str, int] = field(default_factory=dict)  # GP customer class → customers in it


def gp_company(settings: GPSettings, password: str, report: Report) -> CompanySample | None:
    """The core's stages up to "company", then a sample of customers proves read access (the core's "data"
    stage reads the same list; reading it once here also yields the classes for the filter page)."""
    register_secret(password)
    if not _until(check_gp(settings, password), "company", report):
        return None
    source = gp_source(settings, build_session(settings, password), attempts=1)
    try:
        customers = source.customers()
    except GPError as err:
        report(StageResult("gp", "sample", False, str(err)))
        return None
    finally:
        source.session.close()
    with_email = [c for c in customers if c.email]
    classes = Counter(c.class_id for c in customers if c.class_id)
    if customers:
        first = (with_email or customers)[0]
        who = first.company_name or f"{first.first_name} {first.last_name}".strip()
        fact = (f"{len(customers)} customers readable, {len(with_email)} with an e-mail address "
                f"(for example {first.number}: {who})")
    else:
        fact = "the customer list is readable, but this company has no customers yet"
    report(StageResult("gp", "sample", True, fact))
    return CompanySample(len(customers), len(with_email), dict(sorted(classes.items())))


# -- Mailchimp -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Audience:
    id: str
    name: str

    def label(self) -> str:
        return f"{self.name} ({self.id})" if self.name else self.id


def mailchimp_connect(api_key: str, api_base: str | None, report: Report) -> list[Audience] | None:
    """key → ping, then the account's audiences for the picker; None when a stage failed."""
    register_secret(api_key)
    # The audience and store of these settings are placeholders: the stages after "ping" are not run.
    probe = MailchimpSettings(list_id="-", store_id="-", api_base=api_base)
    if not _until(check_mailchimp(probe, api_key), "ping", report):
        return None
    transport = MailchimpTransport(api_base_for(api_key, api_base), api_key, max_connections=1,
                                   retry=RetryPolicy(attempts=2))
    try:
        rows = MailchimpApi(transport).lists()
    except MailchimpError as err:
        report(StageResult("mailchimp", "audiences", False, f"Could not list the audiences: {err}"))
        return None
    finally:
        transport.close()
    audiences = [Audience(str(r.get("id", "")), str(r.get("name", ""))) for r in rows if r.get("id")]
    if not audiences:
        report(StageResult("mailchimp", "audiences", False,
                           "This Mailchimp account has no audience yet. Create one in Mailchimp "
                           "(Audience > All contacts), then press Connect again."))
        return None
    report(StageResult("mailchimp", "audiences", True,
                       f"{len(audiences)} audience{'s' if len(audiences) != 1 else ''}: pick the one to fill"))
    return audiences


def mailchimp_check(settings: MailchimpSettings, api_key: str, report: Report) -> bool:
    """The core's whole staged check (key → ping → audience → store); True if every stage passed."""
    register_secret(api_key)
    return _until(check_mailchimp(settings, api_key), "store", report)


# -- preview ---------------------------------------------------------------------------------------------------
class _ReadOnlyBook(Bookkeeping):
    """The engine's bookkeeping, reading the profile's sync state but writing nothing.

    `run_profile(dry_run=True)` saves the profile's settings and records a run: right for `gpmc sync
    --dry-run`, wrong for a wizard that promises to save nothing until Finish (a cancelled wizard would
    leave a profile without credentials behind, and an edited one would change before the user agreed).
    A new profile has no id yet, so it reads as "nothing synced" (every customer a create).
    """

    def start_run(self, kind: str) -> int:
        return 0

    def finish_run(self, run_id: int | None, outcome: str, counts: dict[str, dict[str, int]], error: str) -> None:
        return None

    def flush(self) -> None:  # a dry run only audits in memory; drop it
        self._audit, self._synced, self._forget = [], {}, {}

    def set_state(self, key: str, value: str) -> None:
        raise RuntimeError("the wizard's preview must not write sync state")


def preview(
    profile: Profile,
    secrets: Secrets,
    profile_id: int | None = None,
    *,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
) -> RunReport:
    """The engine's own dry run of *profile* (GP is read, Mailchimp is not written, nor is the state database).

    *profile_id* is the stored profile being edited (its sync state tells updates from creates), or None for
    a new one.  The state store must be open.
    """
    register_secret(secrets.gp_password)
    register_secret(secrets.mailchimp_api_key)
    api, transport = make_api(profile, secrets.mailchimp_api_key)
    source = make_source(profile, secrets.gp_password)
    try:
        engine = SyncEngine(profile, source, api, _ReadOnlyBook(profile_id or 0), progress=progress, cancel=cancel)
        report = engine.run(dry_run=True)
    finally:
        transport.close()
        source.session.close()
    report.run_id = None  # nothing was recorded
    return report
