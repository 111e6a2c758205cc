"""A throwaway MIT Kerberos realm on 127.0.0.1 for tests: ``kdb5_util``, ``kadmin.local`` and ``krb5kdc -n``.

Everything lives in one directory and is reached only through the variables in :attr:`Realm.env`
(``KRB5_CONFIG``, ``KRB5_KDC_PROFILE``, ``KRB5_KTNAME``, ``KRB5CCNAME``, ``KRB5RCACHEDIR``): nothing under /etc
is read or written, and no daemon outlives :meth:`Realm.stop`.  Test-only (Linux, MIT krb5): the product talks
to Active Directory, and the demo needs no Kerberos, so this does not ship.

    with Realm(tmp_dir) as realm:
        realm.add_user("svc-gp", "Secret-1")
        realm.kinit("svc-gp", "Secret-1")   # into realm.env["KRB5CCNAME"]

Debian packages: krb5-kdc (krb5kdc, kdb5_util), krb5-admin-server (kadmin.local), krb5-user (kinit);
faketime (libfaketime) for :meth:`Realm.skewed_kdc`.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

TOOLS = ("krb5kdc", "kdb5_util", "kadmin.local", "kinit")
_SBIN = ("/usr/sbin", "/usr/local/sbin", "/sbin")  # krb5kdc and friends live in sbin, often not on PATH


def find_tool(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path=os.pathsep.join(_SBIN))


def find_libfaketime() -> str | None:
    """Debian's faketime package; preloaded directly, because the ``faketime`` wrapper forks the program as
    a child that outlives the wrapper when only the wrapper is stopped."""
    found = sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1") + glob.glob("/usr/lib/faketime/libfaketime.so.1"))
    return found[0] if found else None


def missing_tools() -> list[str]:
    return [t for t in TOOLS if find_tool(t) is None]


class KdcError(RuntimeError):
    pass


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Realm:
    """One realm (default ``CORP``, so NTLM's ``CORP\\user`` and Kerberos' ``user@CORP`` are one account) with
    ``HTTP/<service_host>`` in a keytab for the simulator's acceptor."""

    def __init__(self, directory: Path, name: str = "CORP", service_host: str = "localhost") -> None:
        self.dir = directory
        self.name = name
        self.service_host = service_host
        self.port = 0
        self.keytab = directory / "http.keytab"
        self._kdcs: list[subprocess.Popen[bytes]] = []
        self.env: dict[str, str] = {
            "KRB5_CONFIG": str(directory / "krb5.conf"),
            "KRB5_KDC_PROFILE": str(directory / "kdc.conf"),
            "KRB5_KTNAME": f"FILE:{self.keytab}",
            "KRB5CCNAME": f"FILE:{directory / 'ccache'}",
            "KRB5RCACHEDIR": str(directory / "rcache"),
        }

    # ------------------------------------------------------------------------------------------ lifecycle
    def start(self) -> Realm:
        missing = missing_tools()
        if missing:
            raise KdcError(f"MIT Kerberos tools missing: {', '.join(missing)}")
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "rcache").mkdir(exist_ok=True)
        for attempt in range(5):  # the port is free when picked, not necessarily when krb5kdc binds it
            self.port = _free_port()
            self._write_krb5_conf(Path(self.env["KRB5_CONFIG"]), self.port)
            self._write_kdc_conf(Path(self.env["KRB5_KDC_PROFILE"]), self.port)
            if attempt == 0:
                self._create_database()
            try:
                self._kdcs.append(self._start_kdc(self.env, self.dir / "kdc.log"))
                atexit.register(self.stop)  # a test run that ends without teardown leaves no KDC behind
                return self
            except KdcError:
                if attempt == 4:
                    raise
        return self

    def stop(self) -> None:
        for proc in self._kdcs:
            _stop(proc)
        self._kdcs.clear()

    def __enter__(self) -> Realm:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _write_krb5_conf(self, path: Path, port: int, **libdefaults: str) -> None:
        # rdns/dns_canonicalize_hostname off and qualify_shortname empty: the SPN is built from the URL's host
        # exactly as written (a DNS lookup could turn "localhost" into anything); no DNS for realms or KDCs.
        options = {
            "default_realm": self.name, "dns_lookup_kdc": "false", "dns_lookup_realm": "false", "rdns": "false",
            "dns_canonicalize_hostname": "false", "qualify_shortname": '""', "udp_preference_limit": "1",
            "forwardable": "false", **libdefaults,
        }
        lines = ["[libdefaults]", *(f"  {k} = {v}" for k, v in options.items()),
                 "[realms]", f"  {self.name} = {{", f"    kdc = 127.0.0.1:{port}", "  }",
                 "[domain_realm]", f"  {self.service_host} = {self.name}", ""]
        path.write_text("\n".join(lines), encoding="utf-8")

    def _write_kdc_conf(self, path: Path, port: int) -> None:
        d = self.dir
        # TCP only (kdc_listen empty): one port to pick, and nothing answers on UDP by accident.
        kdc = [
            "[kdcdefaults]", '  kdc_listen = ""', f"  kdc_tcp_listen = 127.0.0.1:{port}",
            "[realms]", f"  {self.name} = {{",
            f"    database_name = {d / 'principal'}", f"    key_stash_file = {d / 'stash'}",
            f"    acl_file = {d / 'kadm5.acl'}",
            "    default_principal_flags = +preauth",  # as AD: wrong passwords reach the KDC and count to lock-out
            "    supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal",
            "    max_life = 10h", "  }",
            "[logging]", f"  kdc = FILE:{d / 'kdc.log'}", f"  default = FILE:{d / 'krb5.log'}", "",
        ]
        path.write_text("\n".join(kdc), encoding="utf-8")

    def _run(self, args: list[str], stdin: str = "", env: Mapping[str, str] | None = None) -> str:
        tool = find_tool(args[0]) or args[0]
        done = subprocess.run([tool, *args[1:]], input=stdin.encode(), capture_output=True, timeout=30,
                              env={**os.environ, **self.env, **(env or {})}, check=False)
        out = (done.stdout + done.stderr).decode(errors="replace")
        if done.returncode != 0:
            raise KdcError(f"{' '.join(args[:2])} failed ({done.returncode}): {out.strip()}")
        return out

    def _create_database(self) -> None:
        (self.dir / "kadm5.acl").write_text("", encoding="utf-8")
        # -s: a stash file, so krb5kdc starts without asking; the master password is never needed again.
        self._run(["kdb5_util", "-r", self.name, "create", "-s", "-P", secrets.token_urlsafe(24)])
        self.kadmin(f"addprinc -randkey HTTP/{self.service_host}", f"ktadd -k {self.keytab} HTTP/{self.service_host}")

    def _start_kdc(self, env: Mapping[str, str], log: Path, port: int | None = None) -> subprocess.Popen[bytes]:
        port = port or self.port
        tool = find_tool("krb5kdc") or "krb5kdc"
        with log.open("ab") as out:
            # Its own process group: stop() ends exactly what this started, and a Ctrl+C in the test's
            # terminal does not reach it before the fixture's teardown does.
            proc = subprocess.Popen([tool, "-n", "-r", self.name], stdout=out, stderr=out, stdin=subprocess.DEVNULL,
                                    env={**os.environ, **env}, start_new_session=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise KdcError(f"krb5kdc exited with {proc.returncode}; see {log}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
            time.sleep(0.02)
        _stop(proc)
        raise KdcError(f"krb5kdc did not listen on 127.0.0.1:{port} within 10 s; see {log}")

    # ---------------------------------------------------------------------------------------- principals
    def kadmin(self, *commands: str) -> str:
        """Run kadmin.local commands (one process for all: each start costs a database open)."""
        return self._run(["kadmin.local", "-r", self.name], stdin="\n".join(commands) + "\n")

    def add_user(self, name: str, password: str, *options: str) -> None:
        self.kadmin(f"addprinc {' '.join(options)} -pw {password} {name}")

    def kinit(self, name: str, password: str, *args: str, ccache: str | None = None) -> None:
        """``kinit`` as a user would, into *ccache* or else this process' current ``KRB5CCNAME`` (a test's own);
        *args* e.g. ``-l 1s`` for a ticket that is about to expire."""
        ccache = ccache or os.environ.get("KRB5CCNAME") or self.env["KRB5CCNAME"]
        self._run(["kinit", *args, f"{name}@{self.name}"], stdin=password + "\n", env={"KRB5CCNAME": ccache})

    def principal(self, name: str) -> str:
        return f"{name}@{self.name}"

    # ------------------------------------------------------------------------------------------- clocks
    @contextlib.contextmanager
    def skewed_kdc(self, offset: str = "+10m") -> Iterator[dict[str, str]]:
        """A second KDC on the same database whose clock runs *offset* (faketime syntax) off this machine's.

        Yields the environment (a krb5.conf pointing at it) a client should use.  ``kdc_timesync = 0`` because
        MIT's client otherwise learns the KDC's time and corrects for it, which Windows does not.
        """
        libfaketime = find_libfaketime()
        if libfaketime is None:
            raise KdcError("faketime is not installed")
        port = _free_port()
        conf, kdc_conf = self.dir / f"krb5-skewed-{port}.conf", self.dir / f"kdc-skewed-{port}.conf"
        self._write_krb5_conf(conf, port, kdc_timesync="0")
        self._write_kdc_conf(kdc_conf, port)
        env = {**self.env, "KRB5_CONFIG": str(conf), "KRB5_KDC_PROFILE": str(kdc_conf),
               "LD_PRELOAD": libfaketime, "FAKETIME": offset}
        proc = self._start_kdc(env, self.dir / "kdc-skewed.log", port)
        try:
            yield {"KRB5_CONFIG": str(conf)}
        finally:
            _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """End a KDC this module started, by its process group (its own, see ``_start_kdc``)."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


if __name__ == "__main__":  # python -m tests.auth.kdc: a realm to poke at by hand
    import sys
    import tempfile

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # `kill PID` also stops the KDC
    with Realm(Path(tempfile.mkdtemp(prefix="gpmc-kdc-"))) as realm:
        realm.add_user("svc-gp", "Secret-1")
        print("\n".join(f"export {k}={v}" for k, v in realm.env.items()))
        print(f"# user svc-gp@{realm.name} / Secret-1; HTTP/{realm.service_host} in {realm.keytab}. Ctrl+C stops.")
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)
