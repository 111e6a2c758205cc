"""Session-wide test settings: Qt renders offscreen, nothing touches the real user's folders.  The simulator and
environment fixtures the test directories share are defined in ``tests/simulators.py`` and made visible here."""

from __future__ import annotations

import os

from tests.simulators import (
    _reset_gp_simulators,
    gp_dataset,
    gp_sba,
    gp_soap,
    mailchimp_sim,
    no_kdc,
    system_ca_env,
)

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

__all__ = [  # fixtures: pytest finds them by name in this module
    "_reset_gp_simulators",
    "gp_dataset",
    "gp_sba",
    "gp_soap",
    "mailchimp_sim",
    "no_kdc",
    "system_ca_env",
]
