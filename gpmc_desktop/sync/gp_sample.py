"""The redacted GP sample for support: one zip a finance admin can send when a sync stops on GP's answers.

    summary = write_gp_sample(Path("gp-sample.zip"), profile, gp_password, secrets=[gp_password, api_key])

Members: ``README.txt`` (what this is), ``versions.txt`` (as in the diagnostics bundle), ``profile.toml`` (the
profile from the one schema, which holds no secret; its company replaced by the placeholder the answers use),
``check.txt`` (every line of the staged GP check) and ``gp/``: one raw answer per resource (``gp/capture.py``)
with every name, e-mail, phone, address and free text replaced by a same-shaped placeholder, and
``gp/answers.json`` saying which request each file answers.  Every member also passes the diagnostics
`Redactor`, so a known secret can never leave in it.  docs/gp-samples.md says how a sample becomes a test.
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from gpmc_desktop.gp import capture
from gpmc_desktop.gp.capture import RawAnswer
from gpmc_desktop.gp.errors import GPError
from gpmc_desktop.gp.sample_redaction import Redaction
from gpmc_desktop.gp.session import build_session
from gpmc_desktop.gp.sources import gp_source
from gpmc_desktop.profile import ConfigError, Profile, profile_to_mapping, to_toml
from gpmc_desktop.store.diagnostics import Redactor, versions_text
from gpmc_desktop.sync.check import check_gp

README = """\
A sample of what the GP server answers, for gpmc-desktop support.

gp/ holds one answer per resource exactly as the server sent it (the first few customers and their receivables
documents only), with every name, e-mail address, phone number, address and free text replaced by a made-up
value of the same shape. Field names, dates, amounts, document types and flags are kept: they are what support
needs to see. No password or API key is in this file.

check.txt is what `gpmc check` says about the GP connection; versions.txt the versions of the app and the PC.
"""
# The check's sample line names one customer as an example: its words are replaced like the answers.
_EXAMPLE = re.compile(r"\(for example ([^)]*)\)")


@dataclass(frozen=True, slots=True)
class SampleSummary:
    path: Path
    members: list[str]
    answers: list[str]  # the files under gp/
    problems: list[str]  # the answers the client could not read, and why (redacted)


# When the check fails here, no read can get an answer: reading would only wait for the same failure again.
_NO_ANSWER_STAGES = ("reach", "tls")


def read_answers(profile: Profile, gp_password: str, *, customers: int, documents: int) -> tuple[list[RawAnswer],
                                                                                                 list[str]]:
    """The raw answers of the profile's GP API, and what stopped the reading before it began."""
    try:
        source = gp_source(profile.gp, build_session(profile.gp, gp_password), attempts=2)
    except (GPError, ConfigError) as err:
        return [], [str(err)]
    try:
        if profile.gp.api == "soap":
            return capture.capture_soap(source, customers=customers, documents=documents), []  # type: ignore[arg-type]
        return capture.capture_sba(source, customers=customers, documents=documents), []  # type: ignore[arg-type]
    finally:
        source.session.close()


def _profile_toml(profile: Profile, redaction: Redaction) -> str:
    document = profile_to_mapping(profile)
    gp = dict(document.get("gp", {}))
    if gp.get("company"):
        gp["company"] = redaction.text(str(gp["company"]))
    return to_toml({**document, "gp": gp})


def _check_text(lines: Iterable[str], redaction: Redaction) -> str:
    text = "\n".join(lines) + "\n"
    text = _EXAMPLE.sub(lambda m: f"(for example {redaction.text(m.group(1))})", text)
    return redaction.known(text)


def write_gp_sample(
    out: Path,
    profile: Profile,
    gp_password: str,
    *,
    secrets: Iterable[str],
    customers: int = capture.CUSTOMERS,
    documents: int = capture.DOCUMENTS,
    extra_versions: Mapping[str, str] | None = None,
    redaction: Redaction | None = None,
) -> SampleSummary:
    """Check GP, read the raw answers, redact them and write the zip to *out* (replaced whole: a failed write
    leaves no half zip).  Raises OSError when *out* cannot be written; GP trouble goes into the sample."""
    redaction = redaction or Redaction()
    results = list(check_gp(profile.gp, gp_password))
    lines = [result.line() for result in results]
    failed = next((r for r in results if not r.ok), None)
    if failed is not None and failed.stage in _NO_ANSWER_STAGES:
        raw, problems = [], []
    else:
        raw, problems = read_answers(profile, gp_password, customers=customers, documents=documents)
    if not raw:
        why = f": {failed.message}" if failed is not None else ""
        problems.append(f"GP sent no answer to capture{why}")
    answers = capture.redact_all(raw, redaction)
    problems = [redaction.known(p) for p in problems] + [f"{a.file}: {a.note}" for a in answers if a.note]
    members: dict[str, bytes] = {
        "README.txt": README.encode("utf-8"),
        "versions.txt": versions_text(extra_versions).encode("utf-8"),
        "profile.toml": _profile_toml(profile, redaction).encode("utf-8"),
        "check.txt": _check_text([*lines, *(f"note: {p}" for p in problems)], redaction).encode("utf-8"),
        f"gp/{capture.MANIFEST}": capture.manifest(answers).encode("utf-8"),
    }
    members.update({f"gp/{a.file}": a.body for a in answers})
    mask = Redactor(secrets)
    partial = out.with_name(out.name + ".part")
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
            for name, body in members.items():
                bundle.writestr(name, mask(body.decode("utf-8", errors="replace")).encode("utf-8"))
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return SampleSummary(out, list(members), [a.file for a in answers], problems)
