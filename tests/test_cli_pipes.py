"""What the commands print, in a pipe and on a terminal: every job, one grouping of every log,
a table that fits, an export that keeps what it read and opens safely in a spreadsheet."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from wix_data_mover_mcp.cli import commands
from wix_data_mover_mcp.cli.main import main
from wix_data_mover_mcp.cli.output import print_table, print_text, table_rows
from wix_data_mover_mcp.cli.parser import build_parser
from wix_data_mover_mcp.emulator import seed as demo
from wix_data_mover_mcp.wix.models import parse_job

from . import payloads
from .conftest import FAST_RETRY


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def listed_ids(out: str) -> list[str]:
    """The job id of each line a pipe got."""
    return [line.split(" · ")[-3] for line in out.splitlines()]


def json_ids(capsys: pytest.CaptureFixture[str], *argv: str) -> list[str]:
    code, out, _ = run(capsys, *argv, "--json")
    assert code == 0
    data = json.loads(out)
    pages = data if isinstance(data, list) else [data]
    return [job["id"] for page in pages for job in page["jobs"]]


FILTERS = [
    ["--name", "members"],
    ["--status", "PARTIALLY_SUCCESSFUL"],
    ["--all", "--limit", "4"],
    ["--status", "FAILED", "COMPLETED", "--limit", "2"],
]


@pytest.mark.parametrize("flags", FILTERS, ids=[" ".join(f) for f in FILTERS])
def test_jobs_in_a_pipe_shows_exactly_the_jobs_json_gives(capsys, flags):
    code, out, _ = run(capsys, "jobs", "--demo", *flags)
    assert code == 0
    assert all(line.startswith('- "') for line in out.splitlines()), out
    assert listed_ids(out) == json_ids(capsys, "jobs", "--demo", *flags) != []


def test_the_next_page_command_prints_the_next_jobs(capsys):
    code, out, err = run(capsys, "jobs", "--demo", "--limit", "10")
    assert code == 0 and len(listed_ids(out)) == 10
    [more] = re.findall(
        r"^More: 'wix-data-mover-mcp (.+?)' \(or add --all for every page\)\.$", err, re.M
    )
    code, second, _ = run(capsys, *more.split())
    assert code == 0
    assert listed_ids(second) == json_ids(capsys, "jobs", "--demo", "--all")[10:] != []


def test_logs_all_is_one_grouping_of_every_page_with_one_way_on(capsys):
    code, out, err = run(capsys, "logs", "--demo", demo.MEMBERS_PARTIAL, "--all", "--limit", "10")
    assert code == 0
    assert out.count("movement logs") == 1
    assert f"Job {demo.MEMBERS_PARTIAL}: 30 movement logs, 30 for items that failed" in out
    assert "WDE0080, 18 items" in out and "(first page)" not in out
    assert "next_cursor" not in out + err and "More:" not in out + err
    code, out, err = run(capsys, "logs", "--demo", demo.MEMBERS_PARTIAL, "--limit", "5")
    assert code == 0
    assert "next_cursor" not in out and "call again" not in out
    assert err.count("More: ") == 1 and "--limit 5 --cursor " in err


@pytest.fixture(scope="module")
def demo_jobs() -> list[Any]:
    """Every demo job, as `jobs --all --json` gives them, read once for the module."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["jobs", "--demo", "--all", "--json"]) == 0
    return [parse_job(raw)[0] for page in json.loads(printed.getvalue()) for raw in page["jobs"]]


DURATION_PART = re.compile(r"^(?:s|min|h|ago)\b")


@pytest.mark.parametrize("width", [80, 100, 120, 140])
def test_the_job_table_fits_its_width_and_never_cuts_a_name_or_a_duration(capsys, demo_jobs, width):
    jobs, now = demo_jobs, datetime.now(UTC)
    print_table(jobs, width=width, now=now)
    table = capsys.readouterr().out
    lines = table.splitlines()
    assert {"STATUS", "ID", "WHEN"} <= set(lines[0].split())
    assert all(len(line) <= width for line in lines)
    assert "…" not in table
    flat = " ".join(" ".join(line.split()) for line in lines)
    for row in table_rows(jobs, now):
        assert all(word in flat for word in row.name.split())  # a name wraps, never cut
    for line in lines:  # no line goes on with the rest of a duration ("4 min 1" / "s ago")
        cells = line.split("  ")
        assert not any(DURATION_PART.match(cell.strip()) for cell in cells), line


class PagedWix:
    """Wix with one page of jobs and one of logs; the page after either is rate limited."""

    def __init__(self, logs: list[dict[str, Any]], jobs: list[dict[str, Any]] | None = None):
        self.logs, self.jobs = logs, jobs or []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/logs"):
            kind, items = "logs", self.logs
            cursor = request.url.params.get("paging.cursor")
        else:
            kind, items = "jobs", self.jobs
            cursor = json.loads(request.content)["query"]["cursorPaging"].get("cursor")
        if cursor:
            return httpx.Response(429, json={"message": "Too many requests", "details": {}})
        metadata = {"count": len(items), "hasNext": True, "cursors": {"next": "page-2"}}
        return httpx.Response(200, json={kind: items, "pagingMetadata": metadata})


def run_against(
    wix: PagedWix,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *argv: str,
) -> tuple[int, str, str]:
    monkeypatch.setenv("WIX_API_KEY", payloads.API_KEY)
    monkeypatch.setenv("WIX_SITE_ID", payloads.SITE_ID)
    args = build_parser(lambda name: lambda args: 0).parse_command_line(list(argv))
    code = commands.run(args.command, args, transport=httpx.MockTransport(wix), retry=FAST_RETRY)
    out, err = capsys.readouterr()
    return code, out, err


HOSTILE = [
    ('=HYPERLINK("https://evil.example","click")', "WDE0080", "Field 'email' is wrong."),
    ("7", "WDE0080", "=cmd|' /C calc'!A0"),
    ("8", "@SUM(1+1)*cmd|' /C calc'!A0", "+1+1"),
    ("-2+3", "WDE0021", "\tTabbed"),
    ("9", "WDE0021", "\rReturned"),
    ("10", "WDE0073", "A plain description, = inside is fine."),
]


def log_entry(item: str, code: str, description: str) -> dict[str, Any]:
    return {"sourceItemId": item, "failure": {"code": code, "description": description}}


def test_the_export_neutralises_cells_a_spreadsheet_would_run(monkeypatch, capsys, tmp_path):
    wix = PagedWix([log_entry(*row) for row in HOSTILE])
    target = tmp_path / "rejected.csv"
    code, out, err = run_against(
        wix, monkeypatch, capsys, "logs", payloads.PARTIAL_ID, "--export", str(target)
    )
    assert out == f"Wrote 6 rejected items to {target}.\n"
    with target.open(newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))[1:]
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert rows[0][0] == '\'=HYPERLINK("https://evil.example","click")'
    assert rows[1][2] == "'=cmd|' /C calc'!A0"
    assert rows[2][1:] == ["'@SUM(1+1)*cmd|' /C calc'!A0", "'+1+1"]
    assert rows[3][0] == "'-2+3" and rows[3][2] == "'\tTabbed" and rows[4][2] == "'\rReturned"
    assert rows[5] == ["10", "WDE0073", "A plain description, = inside is fine."]
    assert code == 1, "the second page was refused: the export is not whole"
    assert "Stopped after 1 page" in err


def test_reading_every_page_keeps_what_was_read_when_a_later_page_fails(
    monkeypatch, capsys, tmp_path
):
    wix = PagedWix(
        [log_entry(str(row), "WDE0080", "Bad email.") for row in range(2, 7)],
        jobs=[payloads.csv_import_completed(), payloads.jsonl_import_failed()],
    )
    target = tmp_path / "rejected.csv"
    code, out, err = run_against(
        wix, monkeypatch, capsys, "logs", payloads.PARTIAL_ID, "--export", str(target)
    )
    assert code == 1
    assert out == f"Wrote 5 rejected items to {target}.\n"
    assert len(target.read_text().splitlines()) == 6
    assert err.startswith("Stopped after 1 page: Wix is rate limiting these credentials (429")
    assert f"{target} has them; to go on from there, run 'wix-data-mover-mcp logs " in err
    assert f"--export {tmp_path / 'rejected-more.csv'} --cursor " in err

    code, out, err = run_against(wix, monkeypatch, capsys, "jobs", "--all", "--limit", "2")
    assert code == 1
    assert listed_ids(out) == [payloads.CSV_IMPORT_ID, payloads.JSONL_FAILED_ID]
    assert err.startswith("Stopped after 1 page: Wix is rate limiting")
    assert "is above; to go on from there, run 'wix-data-mover-mcp jobs --limit 2 --cursor" in err

    code, out, err = run_against(wix, monkeypatch, capsys, "logs", payloads.PARTIAL_ID, "--all")
    assert code == 1 and "5 movement logs" in out and "Stopped after 1 page" in err


def test_a_reader_that_goes_away_ends_the_command_quietly(capsys, monkeypatch):
    class GoneReader:
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self) -> None:
            raise BrokenPipeError(32, "Broken pipe")

        def isatty(self) -> bool:
            return False

    monkeypatch.setattr("sys.stdout", GoneReader())
    code = main(["jobs", "--demo", "--json"])
    monkeypatch.undo()
    _, err = capsys.readouterr()
    assert code == 1
    assert "Traceback" not in err and "BrokenPipe" not in err


@pytest.mark.parametrize("width", [80, 100, 120])
def test_every_row_of_the_job_table_has_the_whole_id_and_when_the_job_ran(capsys, demo_jobs, width):
    now = datetime.now(UTC)
    print_table(demo_jobs, width=width, now=now)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[-1] == "WHEN"
    for row in table_rows(demo_jobs, now):
        [line] = [line for line in lines if row.ident in line]  # whole, to copy and act on
        assert row.short_age in line or f"{row.verb} {row.age}" in line, line
    if width == 80:  # the name gives way to a line of its own, never the id or the time
        assert lines[0].split() == ["STATUS", "ID", "WHEN"]
        assert '  "Members import"' in lines


def test_no_color_means_no_escape_codes_at_all(capsys, demo_jobs, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")  # as on a terminal
    for width in (80, 120):
        print_table(demo_jobs, width=width)
    assert "\x1b[" in capsys.readouterr().out, "a terminal gets a bold header and colours"
    monkeypatch.setenv("NO_COLOR", "1")
    for width in (80, 120):
        print_table(demo_jobs, width=width)
    assert "\x1b" not in capsys.readouterr().out


def test_a_command_to_paste_is_never_broken_across_lines(capsys, monkeypatch):
    monkeypatch.setattr("wix_data_mover_mcp.cli.output.terminal_width", lambda: 60)
    command = (
        f"'wix-data-mover-mcp watch {demo.MEMBERS_PARTIAL} --site \"Riverside Bakery\" --demo'"
    )
    print_text(f"Submitted a retry of the job as a new job. To follow it, run {command}.")
    lines = capsys.readouterr().out.splitlines()
    assert f"  {command}." in lines
    assert all(len(line) < 60 for line in lines if command not in line)


def test_an_exported_cell_hides_nothing_and_runs_nothing_whatever_precedes_it(
    monkeypatch, capsys, tmp_path
):
    hidden = [
        ("\x1b]0;owned\x07=1+1", "\u202eWDE0080", "\ufeff=HYPERLINK(1)"),
        ("\u200b@SUM(1)", "\x00+2", "\u00a0=cmd|' /C calc'!A0"),
        ("  -3", "WDE0009", "Bell\x07 and escape\x1b[31m stay out."),
    ]
    wix = PagedWix([log_entry(*row) for row in hidden])
    target = tmp_path / "rejected.csv"
    code, _, _ = run_against(
        wix, monkeypatch, capsys, "logs", payloads.PARTIAL_ID, "--export", str(target)
    )
    with target.open(newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))[1:]
    assert rows[0] == ["]0;owned=1+1", "WDE0080", "'=HYPERLINK(1)"]
    assert rows[1] == ["'@SUM(1)", "'+2", "'\u00a0=cmd|' /C calc'!A0"]
    assert rows[2] == ["'  -3", "WDE0009", "Bell and escape[31m stay out."]
    assert code == 1  # the second page was refused, as PagedWix does


def test_an_export_to_an_empty_file_name_is_refused_as_usage(capsys):
    from wix_data_mover_mcp.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["logs", payloads.PARTIAL_ID, "--export", "", "--demo"])
    assert exit_.value.code == 2
    assert "give the name of the file to write" in capsys.readouterr().err


def test_status_given_twice_asks_for_both(monkeypatch, capsys):
    from wix_data_mover_mcp.cli.parser import build_parser

    parser = build_parser(lambda name: lambda args: 0)
    args = parser.parse_command_line(["jobs", "--status", "FAILED", "--status", "completed"])
    assert args.status == ["FAILED", "COMPLETED"]


@pytest.mark.parametrize("dry_run", [False, True])
def test_a_retry_stopped_by_ctrl_c_says_it_may_have_been_sent(monkeypatch, capsys, dry_run):
    from wix_data_mover_mcp.cli import commands, main

    def interrupted(name: str, args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(commands, "run", interrupted)
    argv = ["retry", payloads.PARTIAL_ID, "--demo", "--yes", *(["--dry-run"] if dry_run else [])]
    assert main(argv) == 130
    err = capsys.readouterr().err
    if dry_run:
        assert err == ""  # a dry run sends nothing
    else:
        assert "The retry may already have been sent to Wix" in err
        assert "'wix-data-mover-mcp jobs --name \"(retry)\"'" in err


def test_jobs_of_an_accounts_site_say_which_site_beside_the_rows(capsys):
    # The demo is an account: a list is of its default site unless --site names another.
    code, out, err = run(capsys, "jobs", "--demo", "--limit", "3")
    assert code == 0 and len(listed_ids(out)) == 3
    assert err.startswith(f'On site "Riverside Bakery" ({demo.DEMO_SITE_ID}):\n')
    code, out, err = run(capsys, "jobs", "--demo", "--site", "Harbor Dental", "--limit", "3")
    assert code == 0
    assert err.startswith('On site "Harbor Dental" (')
    _, answer, _ = run(capsys, "jobs", "--demo", "--limit", "3", "--json")
    assert '"summary": "[Demo data' in answer and 'On site \\"Riverside Bakery\\"' in answer
