"""The README's examples are the published contract: they must stay true to the code."""

import re
from pathlib import Path

from gpmc_desktop.cli.main import build_parser
from gpmc_desktop.profile import profile_from_mapping

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_readme_profile_example_loads():
    import tomllib

    block = re.search(r"```toml\n(.*?)```", README, re.S).group(1)
    profile = profile_from_mapping(tomllib.loads(block))
    assert profile.gp.company == "TWO"
    assert profile.mailchimp.max_connections == 5


def test_readme_cli_synopsis_matches_the_parser():
    parser = build_parser()
    for line in re.findall(r"^gpmc (\w+) +--config FILE(.*?)#", README, re.M):
        command, flags = line
        args = [command, "--config", "x.toml"]
        for flag in re.findall(r"--[\w-]+", flags):
            args += [flag] + (["1"] if flag in ("--run", "--wait") else ["customer"] if flag == "--entity" else
                              ["failed"] if flag == "--action" else
                              ["t"] if flag in ("--csv", "--search", "--out") else [])
        parsed = parser.parse_args(args)
        assert parsed.command == command


def test_readme_names_both_setup_commands():
    assert "python3 scripts/dev.py demo" in README
    assert "python3 scripts/dev.py test" in README


def test_readme_exit_code_table_lists_every_exit_code():
    from gpmc_desktop.sync.report import ExitCode

    table = re.search(r"^Exit codes:\n\n((?:\|.*\n)+)", README, re.M).group(1)
    codes = [int(c) for c in re.findall(r"^\| `(\d+)` \|", table, re.M)]
    assert codes == [int(c) for c in ExitCode]


def test_every_picture_the_readme_shows_exists():
    root = Path(__file__).resolve().parent.parent
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", README)
    assert pictures[0] == "docs/screenshots/summary.png"  # the summary comes first: what the app is for
    missing = [p for p in pictures if not (root / p).is_file()]
    assert not missing, f"the README shows pictures that do not exist: {missing}"
    for name in ("failures", "tray-menu", "wizard-at-125-percent", "dark-main-window"):
        assert f"docs/screenshots/{name}.png" in pictures
