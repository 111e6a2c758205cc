"""UI fixtures: a real state database in tmp_path, the test keyring, the real simulators (DemoEnvironment),
and a controller wired to them. Nothing touches the user's folders, keyring or autostart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gpmc_desktop import store
from gpmc_desktop.credentials import GP_PASSWORD, MAILCHIMP_API_KEY, CredentialStore, default_store
from gpmc_desktop.credentials.testing import use_test_keyring
from gpmc_desktop.demo.environment import DemoEnvironment
from gpmc_desktop.profile import load_profile
from gpmc_desktop.sync.runner import save_profile_settings
from gpmc_desktop.ui.autostart import XdgAutostart
from gpmc_desktop.ui.controller import DesktopController
from gpmc_desktop.ui.qt_compat import binding_leaks_none

DEMO_CUSTOMERS = 100
SYNC_TIMEOUT_MS = 120_000


@pytest.fixture(scope="session", autouse=True)
def _qt_binding_is_sound() -> None:
    """Stop at once, naming the cause, rather than abort part-way with "none_dealloc" (see ui/qt_compat.py)."""
    if binding_leaks_none():
        import PySide6

        pytest.exit(f"PySide6 {PySide6.__version__} loses a reference to None on every void call under this "
                    "Python: install PySide6-Essentials<6.12 (pyproject pins it)", returncode=3)


@pytest.fixture
def state(tmp_path: Path) -> Iterator[store.Store]:
    s = store.open_store(tmp_path / "data" / "state.sqlite")
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def credentials() -> Iterator[CredentialStore]:
    with use_test_keyring():
        yield default_store()


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[DemoEnvironment]:
    env = DemoEnvironment(customers=DEMO_CUSTOMERS, workdir=tmp_path / "demo").start()
    try:
        yield env
    finally:
        env.stop()


@pytest.fixture
def demo_profile(state: store.Store, demo: DemoEnvironment, credentials: CredentialStore) -> str:
    """The demo profile saved the way the app keeps it: settings in the store, secrets in the keyring."""
    profile = load_profile(demo.write_profile())
    save_profile_settings(profile)
    credentials.set(profile.name, GP_PASSWORD, demo.secrets.gp_password)
    credentials.set(profile.name, MAILCHIMP_API_KEY, demo.api_key)
    return profile.name


@pytest.fixture
def make_controller(qtbot, state: store.Store, credentials: CredentialStore, tmp_path: Path):
    made: list[DesktopController] = []

    def make(**kwargs) -> DesktopController:
        kwargs.setdefault("use_tray", True)
        kwargs.setdefault("log_folder", tmp_path / "logs")
        kwargs.setdefault("autostart", XdgAutostart(tmp_path / "autostart"))
        controller = DesktopController(credentials, **kwargs)
        qtbot.addWidget(controller.window)
        made.append(controller)
        return controller

    yield make
    for controller in made:
        assert controller.shutdown(timeout_s=60), "a sync thread did not stop"


@pytest.fixture
def controller(make_controller, demo_profile: str) -> DesktopController:
    c = make_controller()
    c.start(show_window=True)
    return c


def wait_for_run(qtbot, controller: DesktopController, start: bool = True, profile: str | None = None):
    """Start (or only await) a run of the profile and return its SyncResult."""
    name = profile or controller.board.names()[0]
    with qtbot.waitSignal(controller.run_finished, timeout=SYNC_TIMEOUT_MS) as blocker:
        if start:
            assert controller.sync_now(name)
    return blocker.args[0]
