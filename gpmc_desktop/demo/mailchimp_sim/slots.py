"""The per-account limit of simultaneous requests (10 on Mailchimp), with the peak tests assert on."""

from __future__ import annotations

import threading


class ConnectionSlots:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.in_flight = 0
        self.peak = 0
        self.rejected = 0

    def acquire(self, limit: int) -> bool:
        with self._lock:
            if self.in_flight >= limit:
                self.rejected += 1
                return False
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            return True

    def release(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def reset(self) -> None:
        with self._lock:
            self.peak = self.in_flight
            self.rejected = 0
