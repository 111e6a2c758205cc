"""Frozen entry point of ``gpmc-desktop`` (the windowed tray app).

``--selftest`` is answered here as well as in the app, so every frozen build can prove itself whatever the
state of ``gpmc_desktop.ui.app``.
"""

import sys

if __name__ == "__main__":
    if "--selftest" in sys.argv[1:]:
        from gpmc_desktop.selftest import run_selftest

        sys.exit(run_selftest(sys.argv[1:]))
    from gpmc_desktop.ui.app import main

    sys.exit(main())
