"""The command line speaks of its own commands and flags: no tool names or tool arguments, every
suggested command runs as printed, a refusal says what to give instead, and exit codes mean
what the README says (2: bad usage or settings)."""

from __future__ import annotations

import argparse
import io
import re
import shlex
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from wix_data_mover_mcp.cli import commands
from wix_data_mover_mcp.cli.commands import usage_problem
from wix_data_mover_mcp.cli.main import main
from wix_data_mover_mcp.cli.output import NBSP, print_text
from wix_data_mover_mcp.cli.parser import build_parser
from wix_data_mover_mcp.cli.setup import Installation
from wix_data_mover_mcp.cli.watch import Pace, live_line
from wix_data_mover_mcp.cli.wording import program, runs_as
from wix_data_mover_mcp.emulator import seed as demo
from wix_data_mover_mcp.wix.cursors import encode_cursor
from wix_data_mover_mcp.wix.models import Progress, parse_job
from wix_data_mover_mcp.words.job import summarize_job

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
    (["sites"], 2, "Listing sites needs an account: set WIX_ACCOUNT_ID"),
    (["jobs", "--all-sites"], 2, "--all-sites needs an account: set WIX_ACCOUNT_ID"),
    (
        ["retry", "--demo", demo.MENU_TRANSLATION, "--yes"],
        1,
        "wait for it to finish, following it with "
        f"'wix-data-mover-mcp watch {demo.MENU_TRANSLATION} --demo'.",
    ),
    (
        ["retry", "--demo", demo.ORDERS_EXPORT, "--yes", "--skip-existing"],
        2,
        "--skip-existing applies only to a collection destination",
    ),
    (
        ["retry", "--demo", demo.BLOG_IMPORT_FAILED, "--yes"],
        0,
        "To follow it, run 'wix-data-mover-mcp watch ",
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
        "name the site it was submitted for with --site ('wix-data-mover-mcp sites --demo' "
        "lists them), or search every site with 'wix-data-mover-mcp jobs --all-sites --demo'",
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
        "wix-data-mover-mcp sites: Listing sites needs an account: set WIX_ACCOUNT_ID (with an "
        "account-level API key), or add --demo to try it.\n"
    )


def test_site_is_refused_when_the_server_is_pinned_to_one_site(capsys, pinned):
    code, out, err = run(capsys, "job", demo.MEMBERS_PARTIAL, "--site", "x")
    assert (code, out) == (2, "")
    assert err == (
        "wix-data-mover-mcp job: --site works in account mode only (WIX_ACCOUNT_ID, with an "
        f"account-level key); this reads the one site WIX_SITE_ID names ({payloads.SITE_ID}): "
        "leave out --site.\n"
    )


QUOTED_COMMAND = re.compile(r"'wix-data-mover-mcp ([^']*)'")


def suggestions(text: str) -> list[list[str]]:
    """The commands a text suggests, each split as a shell splits what is between its quotes.
    Every command must be quoted whole: nothing glued to it, nothing left outside."""
    text = re.sub(r"^wix-data-mover-mcp [a-z]+: ", "", text, flags=re.M)  # an error's name
    found = QUOTED_COMMAND.findall(text)
    assert text.count("wix-data-mover-mcp") == len(found), f"a command not quoted whole: {text}"
    return [shlex.split(command) for command in found]


SUGGESTING = [
    (["jobs", "--demo", "--limit", "3"], {"jobs"}),
    (["job", "--demo", demo.MEMBERS_PARTIAL, "--site", "Riverside Bakery"], {"logs"}),
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
        "wix-data-mover-mcp jobs: --staus FAILED is not an argument of this command. Did you "
        "mean --status? See 'wix-data-mover-mcp jobs --help'.\n"
    )
    code, _, err = run(capsys, "jbos")
    assert code == 2
    assert err.startswith("wix-data-mover-mcp: 'jbos' is not a command; the commands are serve,")
    assert err.endswith(" Did you mean jobs? See 'wix-data-mover-mcp --help'.\n")


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


def test_watch_gives_the_rate_it_saw_once_the_job_moves():
    now = [100.0]
    pace = Pace(clock=lambda: now[0])
    pace.see(200)
    assert pace.rate(200, bytes_=False) == "", "no rate before anything was seen to move"
    now[0] += 10
    assert pace.rate(300, bytes_=False) == "10 items/s"
    now[0] += 190
    assert pace.rate(300, bytes_=False) == "30 items/min", "a stall slows the rate"


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
    assert out == (
        "No site's name contains \"zzz\". To see every site, run 'wix-data-mover-mcp sites --demo'.\n"
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


def test_a_dry_run_ends_with_the_command_that_submits_it_as_printed(capsys, monkeypatch):
    flags = ["--skip-existing", "--site", "Riverside Bakery", "--demo"]
    code, out, err = run(capsys, "retry", demo.BLOG_IMPORT_FAILED, "--dry-run", *flags)
    assert code == 0
    assert out.rstrip().endswith(
        f"To submit it, run 'wix-data-mover-mcp retry {demo.BLOG_IMPORT_FAILED} --skip-existing "
        '--site "Riverside Bakery" --demo\'.'
    )
    assert "gone in the next command" not in err, "a dry run made no new job"
    [command] = suggestions(out + err)
    assert command == ["retry", demo.BLOG_IMPORT_FAILED, *flags]
    monkeypatch.setattr("sys.stdin", Terminal("y\n"))  # a person at a terminal says yes
    code, out, _ = run(capsys, *command)
    assert code == 0 and "Submitted a retry of job" in out


class Terminal(io.StringIO):
    """Standard input as a terminal, with what the person types."""

    def isatty(self) -> bool:
        return True


def test_every_message_of_the_command_line_is_a_sentence(capsys, pinned):
    messages = [
        ["sites"],
        ["jobs", "--all-sites"],
        ["jobs", "--limit", "0"],
        ["retry", demo.BLOG_IMPORT_FAILED],
        ["jobs", "--since", "7d"],
        ["job"],
        ["setup", "--write"],
        ["jbos"],
    ]
    for argv in messages:
        code, _, err = run(capsys, *argv)
        assert code == 2
        said = re.sub(r"^wix-data-mover-mcp(?: [a-z]+)?: ", "", err.rstrip("\n"))
        assert said[0].isupper() or said[0] in "-'", err
        assert said.endswith((".", "?")) and ";." not in said and "?;" not in said, err


def test_a_mistyped_flag_before_the_command_is_said_of_the_program_not_the_command(capsys):
    code, _, err = run(capsys, "--jsno", "jobs")
    assert code == 2
    assert err == (
        "wix-data-mover-mcp: --jsno is not an option of wix-data-mover-mcp itself. Did you mean "
        "'wix-data-mover-mcp jobs --json', after the command? See 'wix-data-mover-mcp --help'.\n"
    )
    code, _, err = run(capsys, "--demo", "jobs", "--jsno")
    assert err.startswith("wix-data-mover-mcp jobs: --jsno is not an argument of this command.")


def test_statuses_may_be_given_with_commas_in_any_case():
    parser = build_parser(lambda name: lambda args: 0)
    args = parser.parse_command_line(["jobs", "--status", "failed,completed", "IN_PROGRESS"])
    assert args.status == ["FAILED", "COMPLETED", "IN_PROGRESS"]
    assert usage_problem("jobs", args) is None


def test_a_key_without_a_site_or_an_account_is_refused_before_any_request(capsys, monkeypatch):
    sent: list[httpx.Request] = []
    monkeypatch.setenv("WIX_API_KEY", payloads.API_KEY)
    args = build_parser(lambda name: lambda args: 0).parse_command_line(["jobs"])
    transport = httpx.MockTransport(lambda request: sent.append(request) or httpx.Response(500))
    code = commands.run("jobs", args, transport=transport)
    assert (code, sent) == (2, [])
    assert capsys.readouterr().err == (
        "wix-data-mover-mcp jobs: Neither WIX_SITE_ID nor WIX_ACCOUNT_ID is set: set WIX_SITE_ID "
        "to the site's id (the GUID after /dashboard/ in the site's dashboard URL), or "
        "WIX_ACCOUNT_ID for every site of an account (with an account-level key).\n"
    )


def test_the_live_time_left_of_watch_is_the_one_its_summary_gives():
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    job, _ = parse_job(
        {
            "id": demo.MENU_TRANSLATION,
            "status": "IN_PROGRESS",
            "startedAt": "2026-11-30T11:56:00Z",
            "progress": {"current": 104, "total": 400, "units": "ITEMS"},
        }
    )
    clock = [0.0]
    pace = Pace(clock=lambda: clock[0])
    live_line(job, pace, now)
    clock[0] += 10  # watched moving fast: ten items a second, far above its average
    job = job.model_copy(update={"progress": Progress(current=204, total=400, units="ITEMS")})
    line, rate, left = live_line(job, pace, now)
    assert (line, rate) == ("in progress, 51% done (204 of 400 items)", "10 items/s")
    [estimate] = re.findall(r"about ([\w ]+) is left", summarize_job(job, now=now))
    assert left == f"about {estimate} left" != "about 20 s left", "not the watched rate's"


def installation(tmp_path: Path, *, uv_cache: Path | None = None, source: str | None = None):
    scripts = tmp_path / "env" / "bin"
    scripts.mkdir(parents=True)
    (scripts / "wix-data-mover-mcp").write_text("#!/bin/sh\n")
    return Installation(
        executable=scripts / "python",
        scripts=scripts,
        windows=False,
        uv=tmp_path / "uv" if uv_cache else None,
        uv_cache=uv_cache,
        source=source,
    )


def test_a_suggested_command_starts_the_way_this_run_was_started(tmp_path):
    where = installation(tmp_path)
    script = str(where.scripts / "wix-data-mover-mcp")
    uv_run = {"UV_RUN_RECURSION_DEPTH": "1"}
    assert runs_as(uv_run, where, lambda name: script) == "uv run wix-data-mover-mcp"
    assert runs_as({}, where, lambda name: script) == "wix-data-mover-mcp"
    # Not on PATH (a wheel's venv, run by its path), or another program by that name is.
    assert runs_as({}, where, lambda name: None) == script
    assert runs_as({}, where, lambda name: "/usr/local/bin/wix-data-mover-mcp") == script


def test_a_run_through_uvx_suggests_uvx_with_where_it_came_from(tmp_path):
    cache = tmp_path / "cache"
    where = installation(cache, uv_cache=cache, source="/home/me/wix-data-mover-mcp")
    uvx = runs_as({"UV_RUN_RECURSION_DEPTH": "1"}, where, lambda name: None)
    assert uvx == "uvx --from /home/me/wix-data-mover-mcp wix-data-mover-mcp"


def test_under_uv_run_the_next_page_command_starts_with_uv_run(capsys, monkeypatch):
    monkeypatch.setenv("UV_RUN_RECURSION_DEPTH", "1")
    program.cache_clear()
    code, out, err = run(capsys, "--demo", "jobs", "--limit", "3")
    program.cache_clear()
    assert code == 0
    assert "More: 'uv run wix-data-mover-mcp jobs --limit 3 --cursor " in out + err


def test_under_uv_run_a_mistyped_flag_points_to_commands_that_run(capsys, monkeypatch):
    monkeypatch.setenv("UV_RUN_RECURSION_DEPTH", "1")
    program.cache_clear()
    code, _, err = run(capsys, "--jsno", "jobs")
    program.cache_clear()
    assert code == 2
    assert err == (
        "wix-data-mover-mcp: --jsno is not an option of wix-data-mover-mcp itself. Did you mean "
        "'uv run wix-data-mover-mcp jobs --json', after the command? See 'uv run "
        "wix-data-mover-mcp --help'.\n"
    )


def test_a_command_under_uv_run_stays_on_one_line_when_wrapped(capsys, monkeypatch):
    monkeypatch.setattr("wix_data_mover_mcp.cli.output.terminal_width", lambda: 60)
    command = "'uv run wix-data-mover-mcp logs 1111 --site \"Riverside Bakery\" --demo'"
    print_text(f"Some items were rejected: to see why, run {command}.")
    assert command in capsys.readouterr().out.replace(NBSP, " ")
