"""The demo keeps its state between commands: each --demo command runs an emulator of its own,
and they all move along one timeline, with the jobs submitted or stopped in any of them, so a
command a suggestion prints finds what the suggestion is about."""

from __future__ import annotations

import json
import os
import re
import threading
import time
from pathlib import Path

import httpx
import pytest

from wix_data_mover_mcp.cli.demo import demo_state_path
from wix_data_mover_mcp.cli.main import main
from wix_data_mover_mcp.emulator import DEMO_API_KEY, DEMO_SITE_ID, Emulator, JobTimeline
from wix_data_mover_mcp.emulator import seed as demo
from wix_data_mover_mcp.emulator.saved import MAX_AGE_SECONDS, DemoRecord, SavedDemo

HEADERS = {"authorization": DEMO_API_KEY, "wix-site-id": DEMO_SITE_ID}
WATCH = re.compile(r"wix-data-mover-mcp watch ([0-9a-f-]{36}) --demo")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, " ".join(out.split()), err


def state_file() -> Path:
    return Path(os.environ["WIX_DEMO_STATE"])


def began(seconds_ago: float) -> None:
    """The demo as a command that many seconds ago left it."""
    state_file().parent.mkdir(parents=True, exist_ok=True)
    state_file().write_text(json.dumps({"started_at": time.time() - seconds_ago, "jobs": []}))


def test_a_retried_job_is_there_in_the_command_its_suggestion_prints(capsys):
    code, out, _ = run(capsys, "retry", "--demo", demo.BLOG_IMPORT_FAILED, "--yes")
    assert code == 0
    [new_id] = WATCH.findall(out)  # "Follow it with: wix-data-mover-mcp watch ID --demo"
    code, out, err = run(capsys, "job", new_id, "--demo")
    assert (code, err) == (0, "")
    assert f'Job "Blog posts from old site (retry)" ({new_id})' in out


def test_commands_move_the_seeded_jobs_along_one_timeline(capsys):
    began(60)  # the reviews import submitted a minute ago has finished, 12 items rejected
    code, out, _ = run(capsys, "logs", demo.REVIEWS_IMPORT, "--demo")
    assert code == 0
    assert f"Job {demo.REVIEWS_IMPORT}: 12 movement logs, 12 for items that failed" in out


def test_a_fresh_demo_is_kept_for_the_next_command(capsys):
    assert not state_file().exists()
    before = time.time()
    assert run(capsys, "job", demo.REVIEWS_IMPORT, "--demo")[0] == 0
    record = DemoRecord.model_validate_json(state_file().read_bytes())
    assert before <= record.started_at <= time.time() and record.jobs == []


@pytest.mark.parametrize(
    "content",
    [b"{not json", b'{"started_at": "soon"}', b"[]", None],
    ids=["not JSON", "another shape", "not an object", "older than the limit"],
)
def test_a_file_that_cannot_be_read_or_is_too_old_starts_the_demo_afresh(capsys, content):
    state_file().parent.mkdir(parents=True)
    if content is None:
        began(MAX_AGE_SECONDS + 60)
    else:
        state_file().write_bytes(content)
    before = time.time()
    code, out, _ = run(capsys, "job", demo.CATALOG_UPLOAD, "--demo")
    assert code == 0 and "submitted just now" in out
    assert DemoRecord.model_validate_json(state_file().read_bytes()).started_at >= before


def test_an_emulator_sees_jobs_another_submitted_and_stopped_while_it_runs(tmp_path):
    path = tmp_path / "demo.json"
    with Emulator(saved=path) as one, Emulator(saved=path) as two:
        body = {"job": {"source": {"file": {"format": "CSV"}}, "destination": {"file": {}}}}
        new = httpx.post(f"{one.url}/data-mover/v1/jobs", json=body, headers=HEADERS).json()
        stop = f"{one.url}/data-mover/v1/jobs/{demo.CATALOG_UPLOAD}/terminate"
        assert httpx.post(stop, headers=HEADERS).status_code == 200
        seen = httpx.get(f"{two.url}/data-mover/v1/jobs/{new['job']['id']}", headers=HEADERS)
        stopped = httpx.get(f"{two.url}/data-mover/v1/jobs/{demo.CATALOG_UPLOAD}", headers=HEADERS)
    assert seen.status_code == 200
    assert stopped.json()["job"]["error"]["code"] == "EMULATOR_TERMINATED"


def test_a_kept_exports_link_is_served_by_the_emulator_running_now(tmp_path):
    path = tmp_path / "demo.json"
    now = time.time()
    export = JobTimeline(
        DEMO_SITE_ID,
        {
            "id": "66666666-0000-4000-8000-000000000001",
            "source": {"wixDataCollection": {"collectionId": "Orders"}},
            "destination": {"file": {"format": "CSV", "fileName": "orders.csv"}},
        },
        submitted_at=now - 120,
        export_url="http://127.0.0.1:1/_emulator/files/66666666-0000-4000-8000-000000000001/orders.csv",
    )
    path.write_text(DemoRecord(started_at=now - 300, jobs=[export]).model_dump_json())
    with Emulator(saved=path) as emulator:
        job = httpx.get(f"{emulator.url}/data-mover/v1/jobs/{export.id}", headers=HEADERS).json()
        link = job["job"]["destination"]["file"]["url"]
        assert link.startswith(emulator.url)
        assert httpx.get(link).status_code == 200


def test_changes_at_once_from_many_emulators_never_leave_a_broken_file(tmp_path):
    path = tmp_path / "demo.json"
    keepers = [SavedDemo(path) for _ in range(8)]
    began_at = keepers[0].start(time.time())
    for keeper in keepers[1:]:
        assert keeper.start(time.time()) == began_at  # one timeline, whoever starts first

    def submit(keeper: SavedDemo, n: int) -> None:
        for k in range(20):
            ident = f"77777777-0000-4000-8000-{n:04x}{k:08x}"
            fields = {"id": ident, "source": {}, "destination": {}}
            keeper.keep(JobTimeline(DEMO_SITE_ID, fields, submitted_at=time.time()))
            DemoRecord.model_validate_json(path.read_bytes())  # whole at every moment

    threads = [threading.Thread(target=submit, args=(k, n)) for n, k in enumerate(keepers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    record = DemoRecord.model_validate_json(path.read_bytes())
    assert record.started_at == began_at and record.jobs
    assert list(tmp_path.glob(".demo-*")) == []  # no temporary file left behind


def test_the_demo_is_kept_in_the_users_cache_unless_told_where():
    home = Path.home()
    assert demo_state_path({}) == home / ".cache" / "wix-data-mover-mcp" / "demo.json"
    assert demo_state_path({"XDG_CACHE_HOME": "/var/cache/ana"}) == Path(
        "/var/cache/ana/wix-data-mover-mcp/demo.json"
    )
    assert demo_state_path({"XDG_CACHE_HOME": "relative"}).is_relative_to(home)
    given = {"WIX_DEMO_STATE": "/tmp/d.json", "XDG_CACHE_HOME": "/x"}
    assert demo_state_path(given) == Path("/tmp/d.json")


def test_without_a_writable_file_the_demo_still_runs_and_says_it_starts_afresh(
    capsys, monkeypatch, tmp_path, caplog
):
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv("WIX_DEMO_STATE", str(tmp_path / "a-file" / "demo.json"))
    code, out, _ = run(capsys, "retry", "--demo", demo.BLOG_IMPORT_FAILED, "--yes")
    assert code == 0 and "Submitted a retry of job" in out
    warnings = [r.getMessage() for r in caplog.records if r.name.endswith("emulator.saved")]
    assert len(warnings) == 1  # once, not at every change
    assert warnings[0].endswith(": each command starts it afresh.")
