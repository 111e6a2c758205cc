"""The pieces of installer/ that need no build: the version resource, the Qt slimming policy, the cache key,
and the self-test itself run from source."""

from __future__ import annotations

import ast
import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.installer.conftest import HAVE_PYINSTALLER, NO_PYINSTALLER, ROOT, clean_env, load_installer_module


def pyinstaller_constructors() -> dict[str, list[str]]:
    """Parameter names of the VSVersionInfo classes, read from the installed PyInstaller's source (importing
    it needs pefile, which PyInstaller installs on Windows only)."""
    spec = importlib.util.find_spec("PyInstaller")
    assert spec and spec.origin
    source = Path(spec.origin).parent / "utils" / "win32" / "versioninfo.py"
    params: dict[str, list[str]] = {}
    for node in ast.parse(source.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                    params[node.name] = [a.arg for a in item.args.args[1:]]
    return params


@pytest.mark.skipif(not HAVE_PYINSTALLER, reason=NO_PYINSTALLER)
def test_version_file_is_what_pyinstaller_reads(tmp_path: Path) -> None:
    versioninfo = load_installer_module("versioninfo")
    path = versioninfo.write_version_file(tmp_path / "v.txt", "1.4.2rc1", exe_name="gpmc-desktop",
                                          description="gpmc-desktop (tray app)")
    made: dict[str, list[dict[str, Any]]] = {}

    def stub(cls: str, names: list[str]) -> Any:
        def construct(*args: Any, **kwargs: Any) -> dict[str, Any]:
            assert len(args) <= len(names) and not set(kwargs) - set(names), f"{cls}({args}, {kwargs})"
            values = dict(zip(names, args, strict=False)) | kwargs
            made.setdefault(cls, []).append(values)
            return {"cls": cls, **values}
        return construct

    namespace = {cls: stub(cls, names) for cls, names in pyinstaller_constructors().items()}
    info = eval(path.read_text(encoding="utf-8"), namespace)  # what PyInstaller does with the file
    assert info["cls"] == "VSVersionInfo"
    assert made["FixedFileInfo"][0]["filevers"] == (1, 4, 2, 0)
    strings = {s["name"]: s["val"] for s in made["StringStruct"]}
    assert strings["ProductVersion"] == "1.4.2rc1" and strings["OriginalFilename"] == "gpmc-desktop.exe"


def test_qt_slimming_keeps_only_the_plugins_the_app_uses() -> None:
    qtslim = load_installer_module("qtslim")
    keep = qtslim.keep_binary
    assert keep("/x/PySide6/Qt/plugins/platforms/libqoffscreen.so", "PySide6/Qt/plugins/platforms")
    assert keep("C:\\x\\PySide6\\plugins\\platforms\\qwindows.dll", "PySide6\\plugins\\platforms")
    assert keep("C:\\x\\qmodernwindowsstyle.dll", "PySide6\\plugins\\styles")
    assert keep("/x/libqico.so", "PySide6/Qt/plugins/imageformats")
    assert not keep("/x/libqwayland.so", "PySide6/Qt/plugins/platforms")
    assert not keep("/x/libqjpeg.so", "PySide6/Qt/plugins/imageformats")
    assert not keep("C:\\x\\qopensslbackend.dll", "PySide6\\plugins\\tls")
    assert keep("/x/libQt6Widgets.so.6", "PySide6/Qt/lib")  # not a plugin: the module's own library
    assert not qtslim.keep_data("/x/qtbase_de.qm", "PySide6/Qt/translations")
    assert not qtslim.keep_extra_binary("C:\\x\\opengl32sw.dll")
    assert qtslim.keep_extra_binary("C:\\x\\icuuc.dll")


def test_cache_key_covers_sources_resources_and_the_spec_but_not_bytecode() -> None:
    build = load_installer_module("build")
    inputs = {p.relative_to(ROOT).as_posix() for p in build.bundle_inputs()}
    for expected in ("gpmc_desktop/selftest.py", "gpmc_desktop/ui/app.py", "resources/contracts/openapi.yaml",
                     "installer/gpmc-desktop.spec", "installer/hooks/hook-PySide6.QtGui.py",
                     "installer/entry_gpmc_desktop.py", "installer/qtslim.py"):
        assert expected in inputs
    assert not [p for p in inputs if "__pycache__" in p or p.endswith(".pyc")]
    assert "installer/gpmc-desktop.nsi" not in inputs  # the installer script does not change the bundle
    assert build.inputs_hash() == build.inputs_hash()
    assert any(line.startswith("pyside6-essentials==") for line in build.environment_fingerprint())


# ------------------------------------------------------------------------------------------------ the self-test
def run_selftest(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = clean_env(tmp_path / "home")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "gpmc_desktop.selftest", *args], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=240, check=False)


def test_selftest_from_source_passes_every_check(tmp_path: Path) -> None:
    expected = "Windows Credential Manager" if sys.platform == "win32" else "memory"
    result = run_selftest(tmp_path, "--expect-keyring", expected)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    lines = result.stdout.splitlines()
    assert [line[5:14].strip() for line in lines[1:-1]] == [
        "qt", "icons", "modules", "resources", "database", "keyring", "sync"]
    assert "process_to_window=" in lines[-1] and not list((tmp_path / "home" / "data").iterdir())


def test_selftest_exits_non_zero_and_says_which_check_failed(tmp_path: Path) -> None:
    result = run_selftest(tmp_path, "--skip-sync", "--expect-keyring", "nonexistent keyring", "--data-dir", "x")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert "(ignoring options that do not apply to the self-test: --data-dir x)" in lines
    assert any(line.startswith("FAIL keyring ") for line in lines)
    assert "skip sync      --skip-sync" in lines
    assert lines[-1].startswith("selftest: 1 of 6 checks FAILED")
