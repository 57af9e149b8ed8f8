"""The command line speaks of its own commands and flags: no tool names or tool arguments, every
suggested command runs as printed, a refusal says what to give instead, and exit codes mean
what the README says (2: bad usage or settings)."""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

import pytest

from wix_data_mover_mcp.cli.main import main
from wix_data_mover_mcp.cli.parser import build_parser
from wix_data_mover_mcp.cli.watch import Pace
from wix_data_mover_mcp.emulator import seed as demo
from wix_data_mover_mcp.wix.cursors import encode_cursor

from . import payloads

ROOT = Path(__file__).parent.parent
UNKNOWN_JOB = "0a3c5f2e-8b1d-4c6e-9f7a-1b2c3d4e5f60"
TOOL_WORDS = re.compile(
    r"list_wix_sites|list_data_movement|_data_movement_job|list_data_sync|skip_existing|"
    r"next_cursor|job_id|\bPass site\b|Unknown tool|call again|call it"
)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exited:
        code = exited.code
    out, err = capsys.readouterr()
    return int(code or 0), out, err


@pytest.fixture
def pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    """A key and one site, no account; nothing listens at the base URL."""
    monkeypatch.setenv("WIX_API_KEY", payloads.API_KEY)
    monkeypatch.setenv("WIX_SITE_ID", payloads.SITE_ID)
    monkeypatch.setenv("WIX_API_BASE_URL", "http://127.0.0.1:9")


# (command line, exit code, words the answer must hold)
SAID = [
    (["sites"], 2, "sites lists the sites of an account: set WIX_ACCOUNT_ID"),
    (
        ["jobs", "--all-sites"],
        2,
        "--all-sites searches the sites of an account: set WIX_ACCOUNT_ID",
    ),
    (
        ["retry", "--demo", demo.MENU_TRANSLATION, "--yes"],
        1,
        f"wait for it to finish: wix-data-mover-mcp watch {demo.MENU_TRANSLATION} --demo.",
    ),
    (
        ["retry", "--demo", demo.ORDERS_EXPORT, "--yes", "--skip-existing"],
        2,
        "--skip-existing applies only to a collection destination",
    ),
    (
        ["retry", "--demo", demo.BLOG_IMPORT_FAILED, "--yes"],
        0,
        "Follow it with: wix-data-mover-mcp watch ",
    ),
    (
        ["jobs", "--demo", "--cursor", encode_cursor("jobs", ["forged"])],
        2,
        "That --cursor was not printed by 'wix-data-mover-mcp jobs': leave it out",
    ),
    (
        [
            "logs",
            "--demo",
            demo.MEMBERS_PARTIAL,
            "--cursor",
            encode_cursor("logs", [UNKNOWN_JOB, "x"]),
        ],
        2,
        "That --cursor was not printed by 'wix-data-mover-mcp logs' for this job",
    ),
    (["job", "--demo", demo.MEMBERS_PARTIAL, "--site", "zzz"], 2, "Pass --site a name or id."),
    (
        ["job", "--demo", UNKNOWN_JOB],
        1,
        "name the site it was submitted for with --site (run: wix-data-mover-mcp sites --demo), "
        "or search every site: wix-data-mover-mcp jobs --all-sites --demo",
    ),
]


@pytest.mark.parametrize(("argv", "code", "words"), SAID, ids=[" ".join(s[0]) for s in SAID])
def test_the_command_line_speaks_of_its_commands_and_flags_never_of_tools(
    capsys, argv, code, words
):
    got, out, err = run(capsys, *argv)
    assert got == code, err
    said = " ".join((out + err).split())
    assert words in said
    assert not TOOL_WORDS.search(said), said


def test_account_only_commands_are_refused_before_anything_is_asked_even_with_a_key(capsys, pinned):
    code, out, err = run(capsys, "sites")
    assert (code, out) == (2, "")
    assert err == (
        "wix-data-mover-mcp sites: sites lists the sites of an account: set WIX_ACCOUNT_ID (with "
        "an account-level API key), or add --demo to try it.\n"
    )


def test_site_is_refused_when_the_server_is_pinned_to_one_site(capsys, pinned):
    code, out, err = run(capsys, "job", demo.MEMBERS_PARTIAL, "--site", "x")
    assert (code, out) == (2, "")
    assert err == (
        "wix-data-mover-mcp job: --site works in account mode only (WIX_ACCOUNT_ID, with an "
        f"account-level key); this reads the one site WIX_SITE_ID names ({payloads.SITE_ID}): "
        "leave out --site.\n"
    )


SUGGESTION = re.compile(r"wix-data-mover-mcp((?: [\w=./-]+)+)")


def suggestions(text: str) -> list[list[str]]:
    text = re.sub(r"^wix-data-mover-mcp [a-z]+: ", "", text, flags=re.M)  # an error's name
    found = SUGGESTION.findall(" ".join(text.split()))
    return [shlex.split(command.rstrip(".")) for command in found]  # a sentence's full stop


SUGGESTING = [
    (["jobs", "--demo", "--limit", "3"], {"jobs"}),
    (["job", "--demo", demo.MEMBERS_PARTIAL], {"logs"}),
    (["logs", "--demo", demo.MEMBERS_PARTIAL, "--limit", "5"], {"logs"}),
    (["job", "--demo", UNKNOWN_JOB], {"sites", "jobs"}),
    (["sites", "--demo", "--name", "zzz"], {"sites"}),
]


@pytest.mark.parametrize(("argv", "commands"), SUGGESTING, ids=[" ".join(a) for a, _ in SUGGESTING])
def test_every_command_suggested_in_demo_mode_runs_as_printed(capsys, argv, commands):
    _, out, err = run(capsys, *argv)
    printed = suggestions(out + err)
    assert {command[0] for command in printed} == commands
    for command in printed:
        assert command[-1] == "--demo", command
        code, _, err = run(capsys, *command)
        assert code == 0, (command, err)


BAD_USAGE = [
    ["job", "abc"],
    ["jobs", "--demo", "--status", "DONE"],
    ["jobs", "--since", "7d"],
    ["jobs", "--demo", "--all-sites", "--since", "7x"],
    ["jobs"],  # no WIX_API_KEY
    ["logs", demo.MEMBERS_PARTIAL],  # no WIX_API_KEY
    ["retry", "--demo", demo.BLOG_IMPORT_FAILED],  # in a pipe without --yes
    ["setup", "claude-code", "--write"],
]


@pytest.mark.parametrize("argv", BAD_USAGE, ids=[" ".join(a) for a in BAD_USAGE])
def test_bad_usage_or_settings_exit_with_2_and_one_line(capsys, argv):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == "" and err.count("\n") == 1, err


def test_a_missing_key_says_what_to_set_or_to_try_the_demo(capsys):
    code, _, err = run(capsys, "jobs")
    assert code == 2
    assert err.startswith("wix-data-mover-mcp jobs: WIX_API_KEY is not set: create an API key")
    assert err.endswith("or add --demo to try the built-in emulator.\n")


def test_a_mistyped_word_gets_the_nearest_one_and_the_commands_own_help(capsys):
    code, _, err = run(capsys, "jobs", "--demo", "--staus", "FAILED")
    assert code == 2
    assert err == (
        "wix-data-mover-mcp jobs: --staus FAILED is not an argument of this command; did you "
        "mean --status?; see 'wix-data-mover-mcp jobs --help'.\n"
    )
    code, _, err = run(capsys, "jbos")
    assert code == 2
    assert "'jbos' is not one of serve, demo" in err and "did you mean jobs?" in err
    assert err.endswith("see 'wix-data-mover-mcp --help'.\n")


def every_parser() -> list[argparse.ArgumentParser]:
    top = build_parser(lambda name: lambda args: 0)
    return [top, *top.commands.values()]


def test_every_flag_says_what_it_does_in_whole_words():
    from wix_data_mover_mcp.cli.wording import TOOL_COMMANDS

    tools = {*TOOL_COMMANDS, "terminate_data_movement_job"}
    for parser in every_parser():
        for action in parser._actions:
            if not action.option_strings or action.help == argparse.SUPPRESS:
                continue
            assert action.help, f"{parser.prog} {action.option_strings[0]} has no help"
            for name in re.findall(r"\b[a-z]+(?:_[a-z]+){2,}\b", action.help):
                assert name in tools, f"{parser.prog} {action.option_strings[0]}: {name!r}"
    top = build_parser(lambda name: lambda args: 0)
    serve = top.commands["serve"].format_help()
    assert "--transport {stdio,http}\n" in serve and "stdio: an assistant starts" in serve
    export = top.commands["logs"].format_help()
    assert "a leading ' so it stays text" in " ".join(export.split())


def test_watch_says_how_long_is_left_once_the_job_moves():
    now = [100.0]
    pace = Pace(clock=lambda: now[0])
    pace.see(200)
    assert pace.left(200, 1000) == "", "no estimate before anything was seen to move"
    now[0] += 10
    assert pace.rate(300, bytes_=False) == "10 items/s"
    assert pace.left(300, 1000) == "about 1 min 10 s left"
    now[0] += 60
    assert pace.left(300, 1000) == "about 8 min 10 s left", "a stall slows the estimate"


def test_a_saved_card_gives_the_time_not_an_age_that_goes_stale(capsys, tmp_path):
    target = tmp_path / "card.html"
    code, _, err = run(capsys, "job", "--demo", demo.MEMBERS_PARTIAL, "--html", str(target))
    assert code == 0 and err.startswith("Wrote the job card to")
    page = target.read_text()
    timing = re.search(r'"timing":\[(.*?)\]', page)
    assert timing is not None
    assert re.match(r'"It was submitted on \d{4}-\d\d-\d\d at \d\d:\d\d UTC\."', timing.group(1))
    assert " ago" not in timing.group(1) and '"As of ' in timing.group(1)


def test_a_site_search_that_finds_nothing_is_one_sentence(capsys):
    code, out, _ = run(capsys, "sites", "--demo", "--name", "zzz")
    assert code == 0
    assert (
        out
        == 'No site\'s name contains "zzz". To see every site: wix-data-mover-mcp sites --demo\n'
    )


def test_the_bundle_says_what_its_first_start_fetches():
    import json
    import tomllib

    backend = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]
    name = re.split(r"[<>=!~ ]", backend[0])[0]
    manifest = json.loads((ROOT / "server/bundle/manifest.json").read_text())
    readme = " ".join((ROOT / "README.md").read_text().split())
    for text in (manifest["long_description"], readme):
        assert f"build tool ({name})" in text, "the first start fetches it from PyPI: say so"
