"""Frozen entry point of ``gpmc`` (the headless command line, a console executable beside ``gpmc-desktop``).

``gpmc --selftest`` runs the same self-test with a console to print to (the windowed exe has none on Windows).
"""

import sys

if __name__ == "__main__":
    if sys.argv[1:2] == ["--engine-child"]:  # the tray app's sync process (gpmc_desktop/sync/engine_process.py)
        from gpmc_desktop.sync.engine_child import main as engine_child

        sys.exit(engine_child())
    if "--selftest" in sys.argv[1:]:
        from gpmc_desktop.selftest import run_selftest

        sys.exit(run_selftest(sys.argv[1:]))
    from gpmc_desktop.cli.main import main

    sys.exit(main())
