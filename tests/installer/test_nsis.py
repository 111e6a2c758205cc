"""The Windows installer script compiles with makensis (Debian's nsis here, NSIS on the Windows runner), so it
cannot rot between releases; and its promises (per-user, data kept, uninstaller asks) are in the script."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.installer.conftest import INSTALLER, load_installer_module

NSI = INSTALLER / "gpmc-desktop.nsi"


def compile_nsi(makensis: str, payload: Path, out: Path, *defines: str) -> subprocess.CompletedProcess[str]:
    cmd = [makensis, "-V2", "-WX", "-DVERSION=0.1.0", "-DNOCOMPRESS", f"-DPAYLOAD_DIR={payload}", f"-DOUTFILE={out}",
           *(f"-D{d}" for d in defines), str(NSI)]
    return subprocess.run(cmd, cwd=INSTALLER, capture_output=True, text=True, timeout=600, check=False)


def assert_windows_exe(path: Path) -> None:
    data = path.read_bytes()
    assert data[:2] == b"MZ", "not a Windows executable"
    pe = int.from_bytes(data[0x3C:0x40], "little")
    assert data[pe:pe + 4] == b"PE\0\0"


def test_script_compiles_without_warnings_around_a_stand_in_payload(nsis: str, tmp_path: Path) -> None:
    payload = tmp_path / "payload"
    (payload / "_internal").mkdir(parents=True)
    for name in ("gpmc-desktop.exe", "gpmc.exe", "_internal/base_library.zip"):
        (payload / name).write_bytes(b"stand-in")
    out = tmp_path / "gpmc-desktop-0.1.0-setup.exe"
    signed = tmp_path / "signed.txt"
    sign = tmp_path / "sign.py"
    sign.write_text(f"import sys\nwith open({str(signed)!r}, 'a') as f:\n    f.write(sys.argv[1] + '\\n')\n")
    # SIGN_COMMAND runs on the uninstaller, then on the installer (the Windows workflow passes signtool here).
    result = compile_nsi(nsis, payload, out, f'SIGN_COMMAND={sys.executable} {sign} "%1"')
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert_windows_exe(out)
    signed_files = signed.read_text().splitlines()
    assert len(signed_files) == 2 and signed_files[-1] == str(out)


def test_script_refuses_to_compile_without_a_version(nsis: str, tmp_path: Path) -> None:
    result = subprocess.run([nsis, "-V2", f"-DPAYLOAD_DIR={tmp_path}", str(NSI)], cwd=INSTALLER,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode != 0 and "define VERSION" in result.stdout + result.stderr


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_installer_builds_around_the_frozen_bundle(nsis: str, frozen: dict[str, Any], tmp_path: Path) -> None:
    build = load_installer_module("build")
    out = tmp_path / f"gpmc-desktop-{frozen['version']}-setup.exe"
    setup = build.build_installer(frozen, defines=[], fast=True, outfile=out)
    assert_windows_exe(setup)
    # uncompressed, so the whole bundle is in there (Linux symlinks are stored as copies)
    assert setup.stat().st_size > frozen["bundle_bytes"] * 0.9


# ------------------------------------------------------------------------------------------------ the promises
def script() -> str:
    return NSI.read_text(encoding="utf-8")


def section(name: str) -> str:
    text = script()
    start = text.index(f'Section "{name}"')
    return text[start:text.index("SectionEnd", start)]


def test_per_user_without_admin_rights_and_only_hkcu() -> None:
    text = script()
    assert "RequestExecutionLevel user" in text
    assert 'InstallDir "$LOCALAPPDATA\\Programs\\${APP_NAME}"' in text
    assert not re.search(r"\bHKLM\b|\bHKEY_LOCAL_MACHINE\b", text)
    assert '!define RUN_KEY "Software\\Microsoft\\Windows\\CurrentVersion\\Run"' in text
    assert '!define RUN_VALUE "gpmc-desktop"' in text  # the value gpmc_desktop/ui/autostart.py writes


def test_data_folder_is_the_apps_and_is_only_removed_when_the_user_says_yes() -> None:
    from gpmc_desktop.store.paths import APP_NAME

    assert f'!define DATA_DIR "$LOCALAPPDATA\\{APP_NAME}"' in script()  # platformdirs, roaming=False
    install = section("${APP_NAME} (required)")
    assert "DATA_DIR" not in install
    uninstall = section("Uninstall")
    assert "MB_YESNO" in uninstall and "/SD IDNO" in uninstall and "Credential Manager" in uninstall
    ask, delete = uninstall.index("MessageBox"), uninstall.index('RMDir /r "${DATA_DIR}"')
    assert ask < delete and '${If} $R0 == "delete"' in uninstall[ask:delete]


def test_never_deletes_the_install_folder_recursively() -> None:
    assert not re.search(r'RMDir\s+/r\s+"\$INSTDIR"', script())


def test_refuses_to_run_over_the_app_and_names_the_mutex_the_app_must_hold() -> None:
    text = script()
    assert '!define APP_MUTEX "Local\\gpmc-desktop"' in text
    assert "OpenMutexW" in text
    for where in ("Function .onInit", "Function un.onInit", 'Section "${APP_NAME} (required)"'):
        body = text[text.index(where):]
        body = body[:body.index("FunctionEnd" if where.startswith("Function") else "SectionEnd")]
        assert "RefuseIfRunning" in body, where


def test_version_tuple_for_the_version_resources() -> None:
    versioninfo = load_installer_module("versioninfo")
    assert versioninfo.version_tuple("0.1.0") == (0, 1, 0, 0)
    assert versioninfo.version_tuple("1.2.3rc1") == (1, 2, 3, 0)
    assert versioninfo.version_tuple("2.0.1.7.9+local") == (2, 0, 1, 7)
    with pytest.raises(ValueError):
        versioninfo.version_tuple("70000.0")
    from gpmc_desktop import __version__

    assert versioninfo.read_version() == __version__
