"""The setup wizard: one sync profile, both connections proven stage by stage, saved only at Finish.

See `wizard.SetupWizard` for the ways to open it (new, demo, edit, re-enter a refused credential)."""

from gpmc_desktop.ui.wizard.wizard import PageId, Prefill, SetupWizard

__all__ = ["PageId", "Prefill", "SetupWizard"]
