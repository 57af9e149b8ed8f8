"""The command line for people: same words as the tools, one clear line on errors."""

from __future__ import annotations

import json

import pytest

from wix_data_mover_mcp.cli import main
from wix_data_mover_mcp.emulator import seed as demo

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
    jobs = json.loads(out)
    assert {job["id"] for job in jobs} == {demo.BLOG_IMPORT_FAILED, demo.EVENTS_IMPORT_FAILED}


def test_logs_groups_the_rejected_items(capsys):
    code, out, _ = run(capsys, "logs", "--demo", demo.MEMBERS_PARTIAL)
    assert code == 0
    assert "WDE0080, 18 items" in out


def test_a_bad_job_id_is_one_line_on_stderr(capsys):
    code, out, err = run(capsys, "job", "--demo", "42")
    assert (code, out) == (1, "")
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


def test_doctor_passes_every_check_against_the_emulator(capsys):
    code, out, _ = run(capsys, "doctor", "--demo")
    assert code == 0
    assert out.count("✓") == 8 and "✗" not in out


def test_doctor_says_what_to_fix_without_a_key(capsys):
    code, out, _ = run(capsys, "doctor")
    assert code == 1
    assert (
        "✗ WIX_API_KEY is set\n    Fix: Create an API key at https://manage.wix.com/account/api-keys"
        in out
    )
    assert "✗ WIX_SITE_ID is set (missing)" in out


def test_doctor_names_a_rejected_key(capsys, monkeypatch):
    from wix_data_mover_mcp.emulator import DEMO_SITE_ID, Emulator

    with Emulator() as emulator:
        monkeypatch.setenv("WIX_API_KEY", "IST.this-key-is-not-known-to-wix")
        monkeypatch.setenv("WIX_SITE_ID", DEMO_SITE_ID)
        monkeypatch.setenv("WIX_API_BASE_URL", emulator.url)
        code, out, _ = run(capsys, "doctor")
    assert code == 1
    assert "✓ Wix is reachable" in out
    assert "✗ Wix accepts the API key\n    Fix: Wix refused the credentials (401)" in out


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
    assert answer.json()["job"]["status"] == "COMPLETED"


def test_the_demo_tour_walks_through_every_question(capsys):
    code, out, _ = run(capsys, "demo")
    out = " ".join(out.split())  # lines are wrapped for the terminal
    assert code == 0
    for words in [
        "An assistant connects and sees these tools",
        "get_data_movement_job: Get a Wix data movement job",
        "Error WDH0003 means invalid data",
        "470 of 500 items moved (470 created), 30 rejected.",
        "WDE0080, 18 items",
        'Job "Catalog upload (large CSV)" (11111111-0000-4000-8000-000000000007) completed',
        "That was the built-in emulator.",
    ]:
        assert words in out
