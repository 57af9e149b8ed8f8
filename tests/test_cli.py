"""The command line for people: same words as the tools, one clear line on errors."""

from __future__ import annotations

import functools
import io
import json
import re
import shlex
import time

import pytest

from wix_data_mover_mcp.cli.main import main
from wix_data_mover_mcp.emulator import DEMO_API_KEY, DEMO_SITE_ID, Emulator
from wix_data_mover_mcp.emulator import seed as demo
from wix_data_mover_mcp.serve.app import build_server

from .conftest import free_port


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_job_prints_the_summary(capsys):
    code, out, _ = run(capsys, "job", "--demo", demo.BLOG_IMPORT_FAILED)
    assert code == 0
    assert "Error WDH0003 means invalid data" in " ".join(out.split())
    assert "Before it failed, 0 of 340 items were moved." in " ".join(out.split())
    assert out.startswith("[Demo data from the built-in emulator")


def test_jobs_json_prints_the_raw_jobs(capsys):
    code, out, _ = run(capsys, "jobs", "--demo", "--status", "FAILED", "--json")
    assert code == 0
    jobs = json.loads(out)["jobs"]
    assert {job["id"] for job in jobs} == {demo.BLOG_IMPORT_FAILED, demo.EVENTS_IMPORT_FAILED}


def test_logs_groups_the_rejected_items(capsys):
    code, out, _ = run(capsys, "logs", "--demo", demo.MEMBERS_PARTIAL)
    assert code == 0
    assert "WDE0080, 18 items" in out


def test_a_bad_job_id_is_one_line_on_stderr(capsys):
    code, out, err = run(capsys, "job", "--demo", "42")
    assert (code, out) == (2, "")
    assert (
        err
        == 'wix-data-mover-mcp job: "42" is not a job id. A job id is a GUID like 0a3c5f2e-8b1d-4c6e-9f7a-1b2c3d4e5f60.\n'
    )


def test_bad_settings_are_one_line_on_stderr(capsys, monkeypatch):
    monkeypatch.setenv("WIX_API_TIMEOUT", "soon")
    code, _, err = run(capsys, "jobs")
    assert code == 2
    assert err.startswith("wix-data-mover-mcp jobs: Invalid configuration. WIX_API_TIMEOUT:")
    assert err.count("\n") == 1


def test_watch_of_a_finished_job_ends_with_its_summary_and_outcome(capsys):
    code, out, _ = run(capsys, "watch", "--demo", demo.MEMBERS_PARTIAL)
    assert code == 1, "only a COMPLETED job exits 0"
    assert out.splitlines()[0] == "partially successful"
    assert "470 of 500 items moved (470 created), 30 rejected." in " ".join(out.split())
    code, _, _ = run(capsys, "watch", "--demo", demo.PRODUCTS_IMPORT)
    assert code == 0


def test_doctor_passes_on_the_demo_and_says_what_its_unreadable_site_shows(capsys):
    code, out, _ = run(capsys, "doctor", "--demo")
    assert code == 0, "the site the demo key leaves out is left out on purpose"
    assert out.count("✓") == 5 and "✗" not in out
    assert out.startswith("✓ Demo mode: the built-in emulator at http://127.0.0.1:")
    assert "✓ The key has account-level access: it covers 5 sites" in out
    assert (
        "✓ The key reads data movement jobs on 4 of 5 sites; the demo's key leaves out \"Lakeview "
        'Hotel"' in out
    )
    assert "It shows what a site the key does not cover looks like" in " ".join(out.split())
    assert "WIX_" not in out
    # What it says to run shows the site the key leaves out, as printed.
    command = re.search(r"'wix-data-mover-mcp (jobs --site [^']+)'", out)
    assert command is not None
    code, _, err = run(capsys, *shlex.split(command.group(1)))
    assert code == 1 and "Wix denied access (403)" in err and "edit the key at" in err


def test_doctor_says_it_for_one_site_the_key_does_not_cover(capsys, monkeypatch, emulator):
    from wix_data_mover_mcp.emulator import DEMO_API_KEY
    from wix_data_mover_mcp.emulator.seed import DEMO_ACCOUNT_ID

    monkeypatch.setenv("WIX_API_KEY", DEMO_API_KEY)  # a real key would not leave it on purpose
    monkeypatch.setenv("WIX_ACCOUNT_ID", DEMO_ACCOUNT_ID)
    monkeypatch.setenv("WIX_API_BASE_URL", emulator.url)
    code, out, _ = run(capsys, "doctor")
    assert code == 1
    assert '    Fix: Not readable: "Lakeview Hotel"' in out
    assert "Add it to the key, with the 'Data Mover Manage Jobs' permission" in " ".join(
        out.split()
    )


def test_doctor_says_what_to_fix_without_a_key_and_ticks_only_what_passed(capsys):
    code, out, _ = run(capsys, "doctor")
    assert code == 2, "settings that keep doctor from asking Wix are bad settings"
    assert "too short" not in out, "a missing key is not also a short one, and never a ✓"
    assert [line[0] for line in out.splitlines() if line[0] in "✓✗"] == ["✗", "✗", "✓", "✗"]
    assert (
        "✗ WIX_API_KEY is not set\n    Fix: Create an API key at https://manage.wix.com/account/api-keys"
        in out
    )
    assert "✗ WIX_SITE_ID is not set" in out


def test_doctor_names_a_rejected_key(capsys, monkeypatch):
    from wix_data_mover_mcp.emulator import DEMO_SITE_ID, Emulator

    with Emulator() as emulator:
        monkeypatch.setenv("WIX_API_KEY", "IST.this-key-is-not-known-to-wix")
        monkeypatch.setenv("WIX_SITE_ID", DEMO_SITE_ID)
        monkeypatch.setenv("WIX_API_BASE_URL", emulator.url)
        code, out, _ = run(capsys, "doctor")
    assert code == 1
    assert "✓ Wix is reachable" in out
    assert "✗ Wix does not accept the API key\n    Fix: Wix refused the credentials (401)" in out


def test_version_and_help_exit_cleanly(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("wix-data-mover-mcp 0.1.0")


@pytest.mark.parametrize(
    "argv", [["--demo", "job", demo.PRODUCTS_IMPORT], ["job", demo.PRODUCTS_IMPORT, "--demo"]]
)
def test_flags_work_before_or_after_the_command(capsys, argv):
    code, out, _ = run(capsys, *argv)
    assert code == 0 and out.startswith("[Demo data")


def test_the_emulator_command_serves_the_api_until_stopped():
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    import httpx

    from wix_data_mover_mcp.emulator import DEMO_API_KEY, DEMO_SITE_ID
    from wix_data_mover_mcp.emulator.seed import DEMO_ACCOUNT_ID

    port = free_port()
    command = [
        Path(sys.executable).with_name("wix-data-mover-mcp"),
        "emulator",
        "--port",
        str(port),
    ]
    url = f"http://127.0.0.1:{port}/data-mover/v1/jobs/{demo.PRODUCTS_IMPORT}"
    headers = {"authorization": DEMO_API_KEY, "wix-site-id": DEMO_SITE_ID}
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        assert process.stdout.readline().startswith(
            f"Data Mover emulator on http://127.0.0.1:{port}"
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                answer = httpx.get(url, headers=headers)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
        settings = process.stdout.read()  # what the first readline left: the process has ended
    assert answer.json()["job"]["status"] == "COMPLETED"
    assert f"WIX_SITE_ID={DEMO_SITE_ID}" in settings
    assert f"WIX_ACCOUNT_ID={DEMO_ACCOUNT_ID}" in settings  # account mode can be tried


def test_the_demo_tour_walks_through_every_question(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr("wix_data_mover_mcp.cli.demo.TOUR_PACE", 0.01)  # the same tour, faster
    fast_polls = functools.partial(build_server, poll_delays=(0.05, 0.1))
    monkeypatch.setattr("wix_data_mover_mcp.cli.demo.build_server", fast_polls)
    kept = tmp_path / "kept-demo.json"  # the demo --demo commands keep: the tour leaves it be
    kept.write_text(json.dumps({"started_at": time.time() - 60, "jobs": []}))
    monkeypatch.setenv("WIX_DEMO_STATE", str(kept))
    before = kept.read_bytes()
    code, out, _ = run(capsys, "demo")
    out = " ".join(out.split())  # lines are wrapped for the terminal
    assert code == 0
    assert kept.read_bytes() == before
    for words in [
        "An assistant connects and sees these tools",
        "get_data_movement_job: Get a Wix data movement job",
        # A demo server offers the writing tools only when told to; the tour is.
        "The tour allows writes, as WIX_ALLOW_WRITES=true (or --allow-writes) does",
        # Its jobs move faster than real ones, and it says so where it waits for them.
        "wait_for_data_movement_job (the tour runs 100 times faster than real time)",
        "Error WDH0003 means invalid data",
        "470 of 500 items moved (470 created), 30 rejected.",
        "WDE0080, 18 items",
        'Job "Catalog upload (large CSV)" (11111111-0000-4000-8000-000000000007) completed',
        "completed, 100% done (30.0 MB of 30.0 MB)",
        "340 of 340 items moved",  # the retry moves what the failed import's file holds
        "That was the built-in emulator.",
    ]:
        assert words in out
    assert "━" not in out and "\x1b" not in out, "in a pipe, plain lines: no bar, no escapes"


def test_doctor_shows_every_check_when_a_setting_is_malformed(capsys, monkeypatch):
    monkeypatch.setenv("WIX_API_KEY", "IST.a-long-enough-key-for-the-check-0123")
    monkeypatch.setenv("WIX_SITE_ID", "not-a-guid")
    code, out, _ = run(capsys, "doctor")
    assert code == 2
    assert "✗ WIX_SITE_ID is not valid\n    Fix: WIX_SITE_ID: must be a GUID like" in out
    assert "✓ WIX_API_KEY is set" in out and "✓ WIX_API_BASE_URL is" in out
    assert "Traceback" not in out


BAD_INPUT = [
    ["jobs", "--demo", "--limit", "0"],
    ["jobs", "--demo", "--limit", "many"],
    ["logs", "--demo", demo.MEMBERS_PARTIAL, "--limit", "500"],
    ["jobs", "--demo", "--status", "DONE"],
    ["job", "--demo", "xyz"],
    ["logs", "--demo", "xyz"],
    ["watch", "--demo", "xyz"],
    ["jobs", "--demo", "--cursor", "forged"],
    ["jobs", "--demo", "--cursor", "x", "--all"],
    ["emulator", "--port", "99999"],
    ["serve", "--port", "8123"],
    ["demo", "--demo"],
    ["nonsense"],
]


@pytest.mark.parametrize("argv", BAD_INPUT, ids=[" ".join(a) for a in BAD_INPUT])
def test_bad_input_on_the_command_line_is_one_line_that_says_what_to_do(capsys, argv):
    try:
        code = main(argv)
    except SystemExit as exited:
        code = exited.code
    out, err = capsys.readouterr()
    assert code not in (0, None)
    assert out == ""
    assert err.count("\n") == 1, err
    assert "validation error" not in err and "Traceback" not in err and "pydantic" not in err


def test_a_busy_port_is_one_line(capsys):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        code = main(["emulator", "--port", port])
    _, err = capsys.readouterr()
    assert code == 1
    assert err == (
        f"wix-data-mover-mcp emulator: Port {port} on 127.0.0.1 is already in use "
        "(Address already in use); choose another with --port.\n"
    )


def test_unknown_statuses_are_named_and_an_empty_filter_is_not_an_empty_site(capsys):
    code, _, err = run(capsys, "jobs", "--demo", "--status", "DONE")
    assert code == 2
    assert '"DONE" is not a job status; use one or more of UNINITIALIZED' in err
    code, out, _ = run(capsys, "jobs", "--demo", "--name", "no such job anywhere")
    assert code == 0
    assert "No jobs whose name contains" in out and "among the 0" not in out


def test_paging_hands_out_a_command_and_all_reads_every_page(capsys):
    code, out, err = run(capsys, "jobs", "--demo", "--limit", "3")
    assert code == 0
    more = err.splitlines()[-1]
    assert more.startswith("More: 'wix-data-mover-mcp jobs --limit 3 --cursor ")
    cursor = more.split("--cursor ")[1].split()[0]
    code, second, _ = run(capsys, "jobs", "--demo", "--limit", "3", "--cursor", cursor)
    assert code == 0 and second.splitlines()[0] not in out
    code, everything, _ = run(capsys, "jobs", "--demo", "--limit", "3", "--all", "--json")
    ids = [job["id"] for page in json.loads(everything) for job in page["jobs"]]
    assert len(ids) == len(set(ids)) == len(demo.DEMO_JOB_IDS)


def test_logs_export_writes_every_rejected_item_across_pages(capsys, tmp_path):
    target = tmp_path / "rejected.csv"
    code, out, _ = run(
        capsys, "logs", "--demo", demo.MEMBERS_PARTIAL, "--limit", "7", "--export", str(target)
    )
    assert code == 0
    assert out == f"Wrote 30 rejected items to {target}.\n"
    rows = target.read_text().splitlines()
    assert rows[0] == "item_or_row,code,description" and len(rows) == 31
    assert rows[1].startswith("2,WDE0080,")


def test_watch_gives_up_after_its_timeout_with_its_own_exit_code(capsys):
    code, out, _ = run(capsys, "watch", "--demo", demo.INVENTORY_SYNC, "--timeout", "1")
    assert code == 3
    assert out.splitlines()[-1] == (
        f"Still running after 1 s: run 'wix-data-mover-mcp watch {demo.INVENTORY_SYNC} --demo' "
        "again."
    )


def test_advice_for_an_assistant_reads_as_a_command_for_a_person(capsys):
    code, out, _ = run(capsys, "job", "--demo", demo.MEMBERS_PARTIAL)
    assert code == 0
    assert f"and why: run 'wix-data-mover-mcp logs {demo.MEMBERS_PARTIAL} --demo'." in out
    assert "list_data_movement_job_logs" not in out


def test_setup_prints_each_clients_configuration_with_the_absolute_command(capsys):
    code, out, _ = run(capsys, "setup", "cursor")
    assert code == 0
    document = json.loads(out)
    server = document["mcpServers"]["wix-data-mover"]
    assert server["command"].startswith("/") and server["command"].endswith("wix-data-mover-mcp")
    assert server["env"]["WIX_API_KEY"] == "<your Wix API key>"


def test_setup_write_changes_only_this_servers_entry(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    config = tmp_path / ".cursor" / "mcp.json"
    config.parent.mkdir()
    config.write_text(json.dumps({"mcpServers": {"github": {"command": "gh-mcp"}}, "x": 1}))
    code, out, _ = run(capsys, "setup", "cursor", "--write", "--yes")
    assert code == 0
    assert '+    "wix-data-mover": {' in out
    written = json.loads(config.read_text())
    assert written["mcpServers"]["github"] == {"command": "gh-mcp"} and written["x"] == 1
    assert "wix-data-mover" in written["mcpServers"]
    code, out, _ = run(capsys, "setup", "cursor", "--write", "--yes")
    assert code == 0 and "nothing to change" in out


def test_setup_refuses_a_file_that_is_not_json(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    config = tmp_path / ".cursor" / "mcp.json"
    config.parent.mkdir()
    config.write_text("{not json")
    code, _, err = run(capsys, "setup", "cursor", "--write", "--yes")
    assert code == 1
    assert err == f"wix-data-mover-mcp setup: {config} is not valid JSON; fix or move it first.\n"
    assert config.read_text() == "{not json"


def test_sites_and_a_search_across_them_from_the_command_line(capsys):
    code, out, _ = run(capsys, "sites", "--demo", "--name", "riverside")
    assert code == 0
    assert "2 of the account's 5 sites match:" in out
    code, out, _ = run(capsys, "jobs", "--demo", "--all-sites", "--status", "FAILED")
    assert code == 0
    assert "2 of 4 sites had FAILED jobs submitted in the last 7d." in out
    code, _, err = run(capsys, "jobs", "--demo", "--since", "7d")
    assert code == 2 and err.endswith("--since goes with --all-sites.\n")


def test_a_site_named_on_the_command_line_is_kept_in_the_suggested_commands(capsys):
    code, out, _ = run(capsys, "job", "--demo", demo.MEMBERS_PARTIAL, "--site", "Riverside Bakery")
    assert code == 0
    assert (
        f"run 'wix-data-mover-mcp logs {demo.MEMBERS_PARTIAL} --site \"Riverside Bakery\" --demo'."
        in out
    )


class Terminal(io.StringIO):
    """Standard input as a terminal, with what the person types; what was read is counted."""

    reads = 0

    def isatty(self) -> bool:
        return True

    def readline(self, size: int = -1) -> str:
        self.reads += 1
        return super().readline(size)


@pytest.fixture
def on_the_emulator(monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> Emulator:
    monkeypatch.setenv("WIX_API_KEY", DEMO_API_KEY)
    monkeypatch.setenv("WIX_SITE_ID", DEMO_SITE_ID)
    monkeypatch.setenv("WIX_API_BASE_URL", emulator.url)
    return emulator


def test_retry_on_a_terminal_says_what_it_would_submit_before_asking(
    capsys, monkeypatch, on_the_emulator
):
    submitted = on_the_emulator.state.requests["submit_job"]
    monkeypatch.setattr("sys.stdin", Terminal("n\n"))
    code, out, _ = run(capsys, "retry", demo.BLOG_IMPORT_FAILED, "--skip-existing")
    assert code == 1, "nothing was done: the README's exit code for a no"
    said = " ".join(out.split())
    assert said.startswith(
        'Retrying job "Blog posts from old site" (11111111-0000-4000-8000-000000000002) submits '
        'a new job "Blog posts from old site (retry)"'
    )
    assert 'SKIP_EXISTING: items already in collection "BlogPosts" are left as they are.' in said
    assert said.endswith("Submit it? [y/N] Nothing submitted.")
    assert "Dry run" not in said and "To submit it" not in said
    assert on_the_emulator.state.requests["submit_job"] == submitted


def test_retry_on_a_terminal_refuses_a_running_job_without_asking(
    capsys, monkeypatch, on_the_emulator
):
    typed = Terminal("y\n")
    monkeypatch.setattr("sys.stdin", typed)
    code, out, err = run(capsys, "retry", demo.MENU_TRANSLATION)
    assert (code, out, typed.reads) == (1, "", 0)
    assert "is still running (IN_PROGRESS): wait for it to finish" in err
