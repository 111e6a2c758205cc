"""Session-wide test settings: Qt renders offscreen, nothing touches the real user's folders."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
