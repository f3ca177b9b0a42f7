"""midiforensics.distributed and mf decode --scheduler, on a real Dask LocalCluster (worker
processes on 127.0.0.1) with JSON Lines and Parquet shards made here, compared with what one
process makes of the same messages. Dask and pyarrow are in the dev extra: when they are
missing, these tests fail (they are imported here, not skipped)."""

from __future__ import annotations

import base64
import io
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import distributed
import mido
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import midiforensics
import midiforensics.distributed as mfd
from midiforensics.cli.app import app
from midiforensics.distributed.worker import MANIFEST

from .conftest import midi_pitches

ABC_TUNE = "X:1\nT:Harbour Lights\nM:3/4\nL:1/8\nK:D\nA2 | d2 f2 a2 | g2 e2 c2 | d6 |]\n"


def b64_midi(pitches: list[int]) -> str:
    mf = mido.MidiFile(ticks_per_beat=480)
    tr = mido.MidiTrack()
    mf.tracks.append(tr)
    for p in pitches:
        tr.append(mido.Message("note_on", note=p, velocity=70, time=0))
        tr.append(mido.Message("note_off", note=p, velocity=0, time=240))
    buf = io.BytesIO()
    mf.save(file=buf)
    return base64.b64encode(buf.getvalue()).decode()


def messages(shard: int) -> list[dict[str, object]]:
    """A conversation's rows: prose, a fenced base64 MIDI file, an ABC tune, an id that tries
    to leave the output folder, a message with no music."""
    return [
        {"conversation_id": f"conv-{shard}", "content": "Could you write me a short tune?"},
        {
            "conversation_id": f"conv-{shard}",
            "content": "Here it is:\n\n```\n" + b64_midi([60 + shard, 64, 67, 72]) + "\n```\n",
        },
        {"conversation_id": "../../escape", "content": "An ABC version:\n\n" + ABC_TUNE},
        {"conversation_id": f"conv-{shard}", "content": "Thanks, that is lovely."},
        {"conversation_id": shard, "content": "One more: " + b64_midi([50, 52, 53 + shard])},
    ]


@pytest.fixture(scope="module")
def client() -> Iterator[distributed.Client]:
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


@pytest.fixture()
def shards(tmp_path: Path) -> Path:
    """Two JSON Lines and two Parquet shards (one with two row groups), and a transcript."""
    folder = tmp_path / "data"
    folder.mkdir()
    for s in (0, 1):
        lines = [json.dumps(m) for m in messages(s)]
        lines.insert(3, "{not json")  # a malformed row is reported, the rest still read
        (folder / f"chat-{s}.jsonl").write_text("\n".join(lines) + "\n")
    for s in (2, 3):
        rows = messages(s)
        table = pa.table(
            {
                "conversation_id": [str(m["conversation_id"]) for m in rows],
                "content": [m["content"] for m in rows],
            }
        )
        pq.write_table(table, folder / f"chat-{s}.parquet", row_group_size=2 if s == 3 else 100)
    (folder / "notes.md").write_text("A pasted file:\n\n" + b64_midi([40, 45, 50]) + "\n")
    return folder


def one_process(folder: Path) -> set[tuple[str, int, str, tuple[int, ...]]]:
    """(shard, row, kind, pitches) of every piece, found by midiforensics.decode message by
    message (and on the transcript as a whole)."""
    found = set()
    for f in sorted(folder.iterdir()):
        if f.suffix == ".md":
            texts = [(-1, f.read_text())]
        elif f.suffix == ".parquet":
            texts = list(enumerate(pq.read_table(f).column("content").to_pylist()))
        else:
            texts = []
            for i, line in enumerate(f.read_text().splitlines()):
                if line.startswith('{"'):
                    texts.append((i, json.loads(line)["content"]))
        for row, text in texts:
            report = midiforensics.decode(text)
            for a in report.artifacts:
                if a.kind == "midi":
                    shard = "" if row < 0 else f.name
                    kinds = [b.kind for b in report.artifacts if b.piece == a.piece]
                    kind = "abc" if "abc" in kinds else "midi"
                    found.add((shard, row, kind, tuple(midi_pitches(a.data or b""))))
    return found


def on_cluster(
    rows: list[dict[str, object]], out: Path
) -> set[tuple[str, int, str, tuple[int, ...]]]:
    return {
        (
            str(r["shard"]),
            int(str(r["row"])),
            str(r["kind"]),
            tuple(midi_pitches((out / str(r["file"])).read_bytes())),
        )
        for r in rows
    }


def files_on_disk(out: Path) -> list[str]:
    return sorted(str(p.relative_to(out)) for p in out.rglob("*.mid"))


def test_cluster_finds_the_same_pieces_as_one_process(
    client: distributed.Client, shards: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    frame = mfd.decode([shards], out, client, column="content", id_column="conversation_id")
    df = frame.compute()
    rows = df.to_dict("records")
    expected = one_process(shards)
    assert len(expected) == 4 * 3 + 1  # three pieces in each shard, one in the transcript
    assert on_cluster(rows, out) == expected
    assert len(rows) == len(expected)  # one row per piece
    assert sorted(str(r["file"]) for r in rows) == files_on_disk(out)  # none missing, none extra
    assert all(str(r["id"]) for r in rows if r["shard"])  # every find names its row's id
    escape = [r for r in rows if r["id"] == "../../escape"]
    assert len(escape) == 4 and all(r["kind"] == "abc" for r in escape)
    for p in out.rglob("*"):  # nothing outside the output folder, no temporary left
        assert p.resolve().is_relative_to(out.resolve())
        assert not p.name.startswith(".tmp-")
    # computing again re-runs the tasks: the folders are found complete and kept
    before = {p: p.stat().st_ino for p in out.rglob("*.mid")}
    again = frame.compute().to_dict("records")
    assert sorted(map(str, again)) == sorted(map(str, rows))
    assert {p: p.stat().st_ino for p in out.rglob("*.mid")} == before


def test_a_large_text_is_split_in_windows_with_the_same_result(
    client: distributed.Client, tmp_path: Path
) -> None:
    big = tmp_path / "long-chat.md"
    paras = []
    for k in range(12):
        paras.append(f"Message {k}: some prose about the piece. " * 20)
        paras.append("```\n" + b64_midi([55 + k, 59 + k, 62 + k]) + "\n```")
    big.write_text("\n\n".join(paras) + "\n")
    tasks = mfd.plan([big], window_chars=4000)
    assert len(tasks) >= 2 and {t.kind for t in tasks} == {"window"}
    out = tmp_path / "out"
    results = client.gather(mfd.submit(client, tasks, str(out)))
    rows = [r for res in results for r in res["rows"]]
    whole = midiforensics.decode(big.read_text())
    want = sorted(tuple(midi_pitches(a.data or b"")) for a in whole.artifacts if a.kind == "midi")
    got = sorted(tuple(midi_pitches((out / r["file"]).read_bytes())) for r in rows)
    assert got == want and len(got) == 12
    lines = {r["location"].split()[0] for r in rows}  # lines counted in the whole input
    assert lines == {a.source.split()[0] for a in whole.artifacts if a.kind == "midi"}
    assert len(lines) == 12 and "L4:C1" in lines


def test_a_rerun_task_leaves_exactly_one_copy(shards: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    (task,) = mfd.plan([shards / "chat-0.jsonl"], "content", "conversation_id")
    final = out / task.folder
    final.parent.mkdir(parents=True)
    stale = final.parent / f".tmp-{final.name}-{'0' * 32}"  # a worker died while writing
    (stale / "r0000001-conv-0").mkdir(parents=True)
    (stale / "r0000001-conv-0" / "01-b64-L3-midi.mid").write_bytes(b"MThd")
    first = mfd.run_task(task, str(out))
    assert not stale.exists()
    mids = files_on_disk(out)
    assert len(mids) == 3 and sorted(r["file"] for r in first["rows"]) == mids
    second = mfd.run_task(task, str(out))  # the scheduler ran it again
    assert second == first
    assert files_on_disk(out) == mids
    assert [p.name for p in final.parent.iterdir()] == [final.name]
    assert (final / MANIFEST).is_file()
    assert first["summary"]["unread_rows"] == 1  # the malformed line, named
    assert "row 3" in first["summary"]["unread"][0]


def test_a_folder_mf_did_not_write_is_never_replaced(shards: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    (task,) = mfd.plan([shards / "chat-1.jsonl"], "content", "conversation_id")
    mine = out / task.folder
    mine.mkdir(parents=True)
    (mine / "keep.txt").write_text("a user's file")
    result = mfd.run_task(task, str(out))
    assert result["rows"] == [] and "exists" in result["summary"]["errors"][0]
    assert [p.name for p in mine.iterdir()] == ["keep.txt"]
    assert [p.name for p in mine.parent.iterdir()] == [mine.name]


def test_a_broken_shard_is_one_failed_task_that_says_why(tmp_path: Path) -> None:
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"PAR1 this is not a parquet file")
    (task,) = mfd.plan([bad], "content")
    result = mfd.run_task(task, str(tmp_path / "out"))
    assert result["rows"] == [] and result["summary"]["errors"]
    assert not (tmp_path / "out" / task.folder).exists()


def test_parquet_row_ranges_name_their_rows(shards: Path, tmp_path: Path) -> None:
    path = str(shards / "chat-3.parquet")
    task = mfd.Task(path, "rows", start=2, stop=4, column="content", id_column="conversation_id")
    result = mfd.run_task(task, None, write=False)  # rows 2 and 3: the ABC tune, prose
    assert result["summary"]["found"] and result["rows"] == []
    task = mfd.Task(path, "rows", start=4, stop=-1, column="content", id_column="conversation_id")
    rows = mfd.run_task(task, str(tmp_path / "out"))["rows"]
    assert [(r["row"], r["id"], r["notes"]) for r in rows] == [(4, "3", 3)]


def test_cli_scheduler_local_writes_finds(shards: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["decode", str(shards), "--scheduler", "local", "--column", "content"]
    res = CliRunner().invoke(app, [*args, "--id", "conversation_id", "-o", str(out)])
    assert res.exit_code == 0, res.output
    table = pq.read_table(out / "finds.parquet")
    assert table.num_rows == 13 and table.column_names == list(mfd.FIELDS)
    rows = table.to_pylist()
    assert sorted(r["file"] for r in rows) == files_on_disk(out)
    jsonl = [json.loads(line) for line in (out / "finds.jsonl").read_text().splitlines()]
    assert jsonl == rows
    assert "13 pieces recovered" in res.output
    assert "2 rows could not be read" not in res.output  # one per JSON Lines shard
    assert res.output.count("1 rows could not be read") == 2


def test_cli_dataset_options_need_a_scheduler(shards: Path) -> None:
    res = CliRunner().invoke(app, ["scan", str(shards), "--column", "content"])
    assert res.exit_code == 2 and "--scheduler" in res.output
    assert not any(p.name.endswith("-recovered") for p in Path(os.getcwd()).iterdir())
    res = CliRunner().invoke(app, ["decode", str(shards), "--scheduler", "local", "--json"])
    assert res.exit_code == 2 and "--json: not available with --scheduler" in res.output


def test_cli_scan_on_a_running_scheduler_writes_nothing(
    client: distributed.Client, shards: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    address = client.scheduler.address
    res = CliRunner().invoke(
        app, ["scan", str(shards), "--scheduler", address, "--column", "content"]
    )
    assert res.exit_code == 0, res.output
    assert "5 inputs" in res.output and "music found in 5 of them" in res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_a_large_jsonl_shard_is_cut_in_ranges_of_whole_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import midiforensics.distributed.tasks as tasks_mod

    shard = tmp_path / "big.jsonl"
    lines = [
        json.dumps({"content": f"message {i} " + "x" * (i * 7 % 50), "id": i}) for i in range(40)
    ]
    lines[17] = ""  # a blank line is a row too: the rows keep their line numbers
    lines[30] = json.dumps({"content": "A tune:\n\n" + b64_midi([61, 63])})
    shard.write_text("\n".join(lines))  # no newline after the last row
    monkeypatch.setattr(tasks_mod, "TASK_BYTES", 400)
    monkeypatch.setattr(tasks_mod, "PLAN_BLOCK", 64)
    tasks = mfd.plan([shard], "content", "id")
    assert len(tasks) > 3
    from midiforensics.distributed.datasets import iter_rows

    seen = [(r.row, r.text) for t in tasks for r in iter_rows(t)]
    want = [(i, json.loads(line)["content"] if line else "") for i, line in enumerate(lines)]
    assert seen == want
    found = [r for t in tasks for r in mfd.run_task(t, str(tmp_path / "out"))["rows"]]
    assert [(r["row"], r["id"], r["notes"]) for r in found] == [(30, "", 2)]


def test_ctrl_c_cancels_the_cluster_run_and_exits_130(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    data = tmp_path / "data"
    data.mkdir()
    prose = "Some words about harmony and voice leading in the second movement. " * 40
    for s in range(8):
        with (data / f"s{s}.jsonl").open("w") as fh:
            for i in range(600):
                text = prose + ("\n\n" + b64_midi([60, 62, 64 + s]) if i % 50 == 0 else "")
                fh.write(json.dumps({"content": text}) + "\n")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "midiforensics", "decode", str(data), "--column", "content"]
    env = {**os.environ, "PYTHONPATH": str(Path(midiforensics.__file__).parents[1])}
    proc = subprocess.Popen(
        [*cmd, "--scheduler", "local", "-o", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    while not any(out.glob("*/rows-*")) and proc.poll() is None:
        time.sleep(0.05)  # the first task is done: the others are running or waiting
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert stderr.strip().splitlines() == [
        "mf: error: interrupted; the cluster's tasks are cancelled, the files written so far "
        "are kept"
    ]
    assert not (out / "finds.parquet").exists()
