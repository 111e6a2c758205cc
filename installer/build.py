"""Build the frozen app (PyInstaller, one folder) and, on request, the Windows installer (NSIS): cached.

    python installer/build.py                    # bundle: build/frozen-<hash>/dist/gpmc-desktop/
    python installer/build.py --installer        # + build/frozen-<hash>/gpmc-desktop-<version>-setup.exe
    python installer/build.py --json             # last stdout line: what was built, where, how long, how big

Run it with the Python of the environment to freeze (the project installed, plus ``pyinstaller``).  ``<hash>``
covers everything that goes into the bundle: the package sources, ``resources/``, the spec, its hooks and helper
modules, the Python version and every installed distribution's version.  When a completed build with that hash
exists it is reused (``--force`` rebuilds); concurrent callers (pytest-xdist workers) wait on a lock file
instead of building twice.  Older ``build/frozen-*`` folders beyond the newest three are removed.

``--installer`` runs ``makensis`` on installer/gpmc-desktop.nsi with the bundle as payload.  On Linux that
produces a stand-in (Linux binaries in a Windows installer): its point is that the script compiles.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.metadata
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

INSTALLER = Path(__file__).resolve().parent
ROOT = INSTALLER.parent
BUILD = ROOT / "build"
SPEC = INSTALLER / "gpmc-desktop.spec"
NSI = INSTALLER / "gpmc-desktop.nsi"
APP = "gpmc-desktop"
INFO = "build-info.json"  # written last: its presence marks a complete build
KEEP_BUILDS = 3

sys.path.insert(0, str(INSTALLER))
from versioninfo import read_version, version_tuple  # noqa: E402


# ------------------------------------------------------------------------------------------------ the cache key
def bundle_inputs() -> list[Path]:
    """Every file whose content can change the bundle (build.py itself and the .nsi cannot)."""
    files = [p for p in (ROOT / "gpmc_desktop").rglob("*") if p.is_file()
             and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo")]
    files += [p for p in (ROOT / "resources").rglob("*") if p.is_file()]
    files += [SPEC, *INSTALLER.glob("hooks/*.py"), INSTALLER / "qtslim.py", INSTALLER / "versioninfo.py",
              *INSTALLER.glob("entry_*.py")]
    return sorted(set(files))


def environment_fingerprint() -> list[str]:
    """Python, platform and every installed distribution: a new PySide6 or keyring is a new bundle."""
    dists = sorted({f"{re.sub(r'[-_.]+', '-', d.metadata['Name']).lower()}=={d.version}"
                    for d in importlib.metadata.distributions() if d.metadata["Name"]})
    return [sys.version, sys.platform, platform.machine(), *dists]


def inputs_hash() -> str:
    digest = hashlib.sha256()
    for path in bundle_inputs():
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    for line in environment_fingerprint():
        digest.update(line.encode() + b"\n")
    return digest.hexdigest()[:16]


# ------------------------------------------------------------------------------------------------ helpers
@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock on `path` (blocking), held across processes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+b") as fh:
        _lock(fh)
        try:
            yield
        finally:
            _unlock(fh)


def _lock(fh: IO[bytes], *, blocking: bool = True) -> bool:
    if os.name == "nt":
        import msvcrt

        fh.seek(0)  # msvcrt locks bytes from the current position: always byte 0
        while True:
            try:
                msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
                return True
            except OSError:
                if not blocking:
                    return False
                time.sleep(1)
    import fcntl

    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    return True


def _unlock(fh: IO[bytes]) -> None:
    if os.name == "nt":
        import msvcrt

        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def tree_size(folder: Path) -> int:
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def exe_name(name: str) -> str:
    return f"{name}.exe" if os.name == "nt" else name


def say(message: str) -> None:
    print(f"[build] {message}", flush=True)


def prune_old_builds(current: Path) -> None:
    """Keep the newest few complete builds; skip any another process is using (its lock is held)."""
    builds = sorted((p for p in BUILD.glob("frozen-*") if p.is_dir() and p != current),
                    key=lambda p: p.stat().st_mtime, reverse=True)
    for old in builds[KEEP_BUILDS - 1:]:
        lock = old.with_suffix(".lock")
        with lock.open("a+b") as fh:
            if not _lock(fh, blocking=False):
                continue
            try:
                shutil.rmtree(old, ignore_errors=True)
            finally:
                _unlock(fh)
        lock.unlink(missing_ok=True)


# ------------------------------------------------------------------------------------------------ building
def build_bundle(*, force: bool = False) -> dict[str, Any]:
    key = inputs_hash()
    here = BUILD / f"frozen-{key}"
    with locked(BUILD / f"frozen-{key}.lock"):
        info_file = here / INFO
        if info_file.is_file() and not force:
            info = json.loads(info_file.read_text(encoding="utf-8"))
            if (Path(info["bundle"]) / exe_name(APP)).is_file():
                say(f"reusing {info['bundle']} (inputs unchanged: {key})")
                return {**info, "cached": True}
        shutil.rmtree(here, ignore_errors=True)
        here.mkdir(parents=True)
        log = here / "pyinstaller.log"
        cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--distpath", str(here / "dist"),
               "--workpath", str(here / "work"), str(SPEC)]
        say(f"PyInstaller -> {here / 'dist' / APP} (log: {log})")
        started = time.monotonic()
        with log.open("w", encoding="utf-8") as out:
            code = subprocess.call(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        seconds = time.monotonic() - started
        if code != 0:
            tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-40:]
            raise SystemExit(f"PyInstaller failed (exit {code}) after {seconds:.0f} s:\n" + "\n".join(tail))
        bundle = here / "dist" / APP
        shutil.rmtree(here / "work", ignore_errors=True)  # intermediate files: not needed once built
        info = {
            "hash": key,
            "version": read_version(ROOT),
            "bundle": str(bundle),
            "gui": str(bundle / exe_name(APP)),
            "cli": str(bundle / exe_name("gpmc")),
            "build_seconds": round(seconds, 1),
            "bundle_bytes": tree_size(bundle),
            "python": sys.version.split()[0],
            "pyinstaller": importlib.metadata.version("pyinstaller"),
            "platform": sys.platform,
        }
        tmp = info_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(info, indent=2), encoding="utf-8")
        os.replace(tmp, info_file)
        say(f"built in {seconds:.0f} s: {info['bundle_bytes'] / 2**20:.0f} MiB")
    prune_old_builds(here)
    return {**info, "cached": False}


def find_makensis() -> str | None:
    found = shutil.which("makensis")
    if found or os.name != "nt":
        return found
    for base in (os.environ.get("PROGRAMFILES(X86)"), os.environ.get("PROGRAMFILES")):
        candidate = Path(base or "C:/", "NSIS", "makensis.exe")
        if candidate.is_file():
            return str(candidate)
    return None


def build_installer(info: dict[str, Any], *, defines: list[str], fast: bool = False,
                    outfile: Path | None = None) -> Path:
    makensis = find_makensis()
    if makensis is None:
        raise SystemExit("makensis not found: install NSIS (Debian: apt-get install nsis; Windows: choco install nsis)")
    version = info["version"]
    outfile = outfile or Path(info["bundle"]).parent.parent / f"{APP}-{version}-setup.exe"
    cmd = [makensis, "-V2", "-WX", f"-DVERSION={version}", f"-DVERSION4={'.'.join(map(str, version_tuple(version)))}",
           f"-DPAYLOAD_DIR={info['bundle']}", f"-DOUTFILE={outfile}", *(["-DNOCOMPRESS"] if fast else []),
           *(f"-D{d}" for d in defines), str(NSI)]
    say(f"makensis -> {outfile}")
    started = time.monotonic()
    result = subprocess.run(cmd, cwd=INSTALLER, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"makensis failed (exit {result.returncode}):\n{result.stdout}\n{result.stderr}")
    say(f"installer in {time.monotonic() - started:.0f} s: {outfile.stat().st_size / 2**20:.0f} MiB")
    return outfile


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--force", action="store_true", help="rebuild even when a cached build matches")
    parser.add_argument("--installer", action="store_true", help="also compile the NSIS installer")
    parser.add_argument("--installer-out", type=Path, default=None, help="where to write the installer")
    parser.add_argument("--fast-installer", action="store_true", help="no compression (tests: seconds, not minutes)")
    parser.add_argument("--define", action="append", default=[], metavar="NAME=VALUE",
                        help="extra makensis define, e.g. SIGN_COMMAND=...; repeatable")
    parser.add_argument("--json", action="store_true", help="print the build's facts as JSON on the last line")
    args = parser.parse_args(argv)

    info = build_bundle(force=args.force)
    if args.installer:
        with locked(BUILD / f"frozen-{info['hash']}.lock"):  # so no other build prunes the payload meanwhile
            setup = build_installer(info, defines=args.define, fast=args.fast_installer, outfile=args.installer_out)
        info = {**info, "installer": str(setup), "installer_bytes": setup.stat().st_size}
    print(json.dumps(info) if args.json else info["bundle"], flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
