"""``gpmc-desktop --demo``: the GP and Mailchimp simulators start in the background, then either the setup
wizard opens pre-filled with their addresses (no profile yet) or the demo profile is saved (or re-pointed at
the simulators' new ports: they change every start) together with the demo's throwaway credentials."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot

from gpmc_desktop import store
from gpmc_desktop.credentials import GP_PASSWORD, MAILCHIMP_API_KEY
from gpmc_desktop.demo.environment import DemoEnvironment
from gpmc_desktop.logsetup import register_secret
from gpmc_desktop.profile import load_profile
from gpmc_desktop.sync.runner import save_profile_settings
from gpmc_desktop.ui.background import Background
from gpmc_desktop.ui.controller import DesktopController

DEMO_CUSTOMERS = 500


class DemoMode(QObject):
    ready = Signal(str)  # the demo profile's name once saved; "" when the wizard opened instead
    failed = Signal(str)

    def __init__(self, controller: DesktopController, workdir: Path, customers: int = DEMO_CUSTOMERS,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.workdir = workdir
        self.customers = customers
        self.env: DemoEnvironment | None = None
        self._background = Background(self)
        self.wizard: QObject | None = None

    def start(self) -> None:
        """Start the simulators off the GUI thread (generating the demo company takes a moment)."""
        customers, workdir = self.customers, self.workdir
        self._background.start(
            lambda _report: DemoEnvironment(customers=customers, workdir=workdir).start(),
            name="starting the demo simulators", on_result=self._on_ready, on_error=self._on_failed)

    @Slot(object)
    def _on_ready(self, env: DemoEnvironment) -> None:
        self.env = env
        register_secret(env.secrets.gp_password)
        register_secret(env.api_key)
        if not store.list_profiles():
            # First start: the wizard walks the user through the demo's connections, pre-filled.
            self.wizard = self.controller.open_setup(demo=env)
            self.ready.emit("")
            return
        name = self.save_demo_profile(env)
        self.controller.reload_profiles()
        self.controller.window.select_profile(name)
        self.controller.show_notice(f"Demo simulators are running; profile {name!r} points at them.")
        self.ready.emit(name)

    def save_demo_profile(self, env: DemoEnvironment) -> str:
        """Create (or re-point at this session's ports) the demo profile and keep its credentials."""
        profile = load_profile(env.write_profile())
        save_profile_settings(profile)
        self.controller.credentials.set(profile.name, GP_PASSWORD, env.secrets.gp_password)
        self.controller.credentials.set(profile.name, MAILCHIMP_API_KEY, env.api_key)
        return profile.name

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.controller.show_notice(f"The demo could not start: {message}")
        self.failed.emit(message)

    def stop(self) -> None:
        if self.env is not None:
            self.env.stop()
            self.env = None
