"""The profile reference in docs/ and the README's example file, written from the schema so they cannot drift.

    python -m gpmc_desktop.profile.reference           # rewrite docs/profile.md and the README's example
    python -m gpmc_desktop.profile.reference --check   # exit 1 if either is stale (a test runs this)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from gpmc_desktop.profile.document import toml_value
from gpmc_desktop.profile.schema import ENV_GP_PASSWORD, ENV_MAILCHIMP_API_KEY, KEYS, SECTIONS, Key, Kind, Level

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "profile.md"
README = ROOT / "README.md"
EXAMPLE_START = "<!-- profile-example:start (written by python -m gpmc_desktop.profile.reference) -->"
EXAMPLE_END = "<!-- profile-example:end -->"

WHERE = {
    Level.BASIC: "setup wizard",
    Level.ADVANCED: "Advanced settings",
    Level.FILE: "file only",
}


def _shown(value: Any) -> str:
    return f"`{toml_value(_plain(value))}`"


def _comment(k: Key) -> str:
    parts = []
    if k.kind is Kind.CHOICE:
        parts.append(" | ".join(f'"{c}"' for c in k.choices))
    if k.required_for_new:
        parts.append(f"required for new profiles (left out: {toml_value(_plain(k.default))} once synced)")
    elif not k.required:
        parts.append("optional" if k.default is None else f"default {toml_value(_plain(k.default))}")
    return "  # " + "; ".join(parts) if parts else ""


def _plain(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return list(value) if isinstance(value, tuple) else value


def example_toml() -> str:
    lines: list[str] = []
    for section in SECTIONS:
        lines.append(f"[{section}]")
        for k in KEYS:
            if k.section == section:
                lines.append(f"{k.name} = {toml_value(k.example)}{_comment(k)}")
    return "\n".join(lines) + "\n"


def reference_markdown() -> str:
    out = [
        "# Profile reference",
        "",
        "<!-- Written by `python -m gpmc_desktop.profile.reference` from gpmc_desktop/profile/schema.py; "
        "do not edit by hand. -->",
        "",
        "A profile connects one GP company to one Mailchimp audience and store. IT writes it as a TOML file for "
        "`gpmc sync --config FILE`; the desktop app keeps the same keys in its state database and shows them in "
        "the setup wizard or under *Advanced settings*. The keys are a published contract: new keys are added, "
        "none is renamed.",
        "",
        f"Secrets never go in a profile: headless runs read `{ENV_GP_PASSWORD}` and `{ENV_MAILCHIMP_API_KEY}` from "
        "the environment, the desktop app keeps them in Windows Credential Manager. A key named like a "
        "credential is refused.",
        "",
        "An unknown key is an error that names the nearest known key (`[filters] customer_class is not a key; "
        "did you mean customer_classes?`), and a profile with several problems reports all of them at once; "
        "`gpmc` then exits with code 2 before reading GP or writing anything.",
        "",
    ]
    for section in SECTIONS:
        out += [f"## [{section}]", "", "| key | value | default | in the app | what it does |",
                "|---|---|---|---|---|"]
        for k in KEYS:
            if k.section != section:
                continue
            default = "required" if k.required else ("—" if k.default is None else _shown(k.default))
            if k.new_profile_value is not None:
                default += f" (new profiles in the app: {_shown(k.new_profile_value)})"
            if k.required_for_new:
                default = (f"required before the first sync (left out of a profile that has synced: {default}, "
                           "what it meant before the key existed)")
            allowed = k.describe_allowed().replace("|", "\\|")
            out.append(f"| `{k.name}` | {allowed} | {default} | {WHERE[k.level]}: {k.label} | {k.help} |")
        out.append("")
    out += ["## Example", "", "```toml", example_toml().rstrip("\n"), "```", ""]
    return "\n".join(out)


def readme_with_example(readme: str) -> str:
    start, end = readme.index(EXAMPLE_START), readme.index(EXAMPLE_END)
    block = f"{EXAMPLE_START}\n```toml\n{example_toml()}```\n"
    return readme[:start] + block + readme[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="only report whether the files are current")
    args = parser.parse_args(argv)
    wanted = {DOC: reference_markdown(), README: readme_with_example(README.read_text(encoding="utf-8"))}
    stale = [path for path, text in wanted.items() if not path.is_file() or path.read_text(encoding="utf-8") != text]
    if args.check:
        for path in stale:
            print(f"{path} is stale: run python -m gpmc_desktop.profile.reference", file=sys.stderr)
        return 1 if stale else 0
    for path in stale:
        path.write_text(wanted[path], encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
