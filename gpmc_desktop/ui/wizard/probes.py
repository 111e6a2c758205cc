"""The wizard's dry-run preview, Qt-free.

The connection checks the pages run are the core's own (``gpmc_desktop.sync.check``: ``run_gp`` and
``run_mailchimp``, stopped after the stage a page needs); what is left here is the preview, which must not write
to the state database before Finish.
"""

from __future__ import annotations

import threading

from gpmc_desktop.logsetup import register_api_key, register_secret
from gpmc_desktop.profile import Profile, Secrets
from gpmc_desktop.sync.bookkeeping import Bookkeeping
from gpmc_desktop.sync.engine import ProgressFn, SyncEngine
from gpmc_desktop.sync.report import RunReport
from gpmc_desktop.sync.runner import make_api, make_source


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

    def set_value(self, key: str, value: object) -> None:
        raise RuntimeError("the wizard's preview must not write sync state")

    def delete_value(self, key: str) -> None:
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
    register_api_key(secrets.mailchimp_api_key)
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
