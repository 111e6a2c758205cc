"""A check for a Qt binding defect that would crash the app: PySide6 6.12.0 on Python 3.11 returns None from
every void method without taking a reference to it, so each such call lowers None's reference count by one.
Python 3.12+ makes None immortal and does not care; on 3.11 the process aborts with "none_dealloc" after a
few thousand calls (seconds of a running sync). The fix is the dependency pin (PySide6-Essentials < 6.12
while we ship Python 3.11); this check makes the cause obvious in the log and in the tests."""

from __future__ import annotations

import sys

from PySide6.QtCore import QTimer

_PROBE_CALLS = 100


def binding_leaks_none() -> bool:
    """True if a void Qt call loses a reference to None (costs 100 of them once; harmless when it does)."""
    if sys.version_info >= (3, 12):
        return False  # None is immortal: the defect cannot hurt
    timer = QTimer()
    before = sys.getrefcount(None)
    for _ in range(_PROBE_CALLS):
        timer.stop()
    return sys.getrefcount(None) < before - _PROBE_CALLS // 2
