from gpmc_desktop import __version__
from gpmc_desktop.ui.app import PlaceholderWindow


def test_placeholder_window_shows_title_and_demo_hint(qtbot):
    window = PlaceholderWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.windowTitle() == f"gpmc-desktop {__version__}"
    assert "gpmc demo" in window.message.text()
    assert window.isVisible()
