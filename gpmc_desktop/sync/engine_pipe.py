"""What the app and its sync process say to each other over the child's stdin and stdout.

Each message is a frame: four bytes of length, then a pickle.  Pickle, because the report a run returns is a tree
of dataclasses, counters and enums that both ends share as code; both ends are this program, started by the
same user, and a frame only ever travels over the pipe between a parent and the child it started.

    parent -> child   RunRequest, then CANCEL when the user stops the run (end of input cancels too)
    child -> parent   ("progress", phase, done, total)*, ("log", level, logger, text)*, then one of
                      ("report", RunReport) | ("busy", profile, holder) | ("error", text)
"""

from __future__ import annotations

import logging
import pickle
import struct
import threading
from dataclasses import dataclass, field
from typing import IO, Any

from gpmc_desktop import store
from gpmc_desktop.profile import Profile, Secrets

_LENGTH = struct.Struct(">I")
MAX_FRAME = 256 * 1024 * 1024  # a report is kilobytes: anything near this is not one of our frames
CANCEL = "cancel"


class BrokenPipeProtocolError(RuntimeError):
    """The other end sent something that is not a frame (or stopped halfway through one)."""


@dataclass(frozen=True)
class RunRequest:
    """One run, as `run_profile` takes it; the secrets travel only over the pipe, never on a command line or in
    the environment."""

    profile: Profile
    secrets: Secrets = field(repr=False)
    database: str  # the state database the app has open
    full: bool = False
    trigger: store.RunKind = store.RunKind.SYNC_NOW
    confirm_mass_change: bool = False
    holder: str = ""
    log_level: int = logging.INFO


def read_frame(stream: IO[bytes]) -> Any | None:
    """The next message, or None at the end of the stream."""
    head = _read_exactly(stream, _LENGTH.size)
    if head is None:
        return None
    (length,) = _LENGTH.unpack(head)
    if length > MAX_FRAME:
        raise BrokenPipeProtocolError(f"a frame of {length:,} bytes announced: not from our sync process")
    body = _read_exactly(stream, length)
    if body is None:
        raise BrokenPipeProtocolError("the stream ended inside a frame")
    return pickle.loads(body)


def _read_exactly(stream: IO[bytes], size: int) -> bytes | None:
    chunks: list[bytes] = []
    left = size
    while left:
        chunk = stream.read(left)
        if not chunk:
            if left == size:
                return None
            raise BrokenPipeProtocolError("the stream ended inside a frame")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class FrameWriter:
    """Frames onto a stream from any thread (the engine's progress and its log lines come from several)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def send(self, message: object) -> None:
        body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            self._stream.write(_LENGTH.pack(len(body)) + body)
            self._stream.flush()
