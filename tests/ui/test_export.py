"""`:export csv|json PATH`: the table as shown, parsed back and compared with the table."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from limen_tui.model import DomainRow, PowerState
from limen_tui.ui.columns import ALL_COLUMNS, columns_for
from limen_tui.ui.export import ExportError, export
from limen_tui.ui.widgets.vm_table import VmTable

from .helpers import burst, demo_app, wait_for


def _rows() -> list[DomainRow]:
    return [
        DomainRow(
            host="hv1",
            uuid="u1",
            name="web-01",
            state=PowerState.RUNNING,
            vcpus=2,
            cpu_pct=12.5,
            mem_current_kib=2048,
            disk_rd_bps=1500.0,
            disk_wr_bps=None,
            net_rx_bps=10.0,
            net_tx_bps=20.0,
            autostart=True,
            tags=("web", "prod"),
        ),
        DomainRow(host="hv2", uuid="u2", name='db "a", b', state=PowerState.SHUTOFF, vcpus=4),
    ]


def test_json_is_in_base_units_and_keeps_the_shown_order(tmp_path: Path) -> None:
    cols = [ALL_COLUMNS[k] for k in ("name", "state", "mem", "disk", "net_tx", "tags", "auto")]
    out = export("json", _rows(), cols, str(tmp_path / "vms.json"))
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data[0] == {
        "name": "web-01",
        "state": "running",
        "mem_bytes": 2048 * 1024,
        "disk_rd_bps": 1500.0,
        "disk_wr_bps": None,
        "net_tx_bps": 20.0,
        "tags": ["web", "prod"],
        "autostart": True,
    }
    assert [list(d) for d in data] == [list(data[0])] * 2  # every row, every field, in order
    assert data[1]["name"] == 'db "a", b' and data[1]["mem_bytes"] is None


def test_csv_has_one_header_and_a_line_per_row(tmp_path: Path) -> None:
    cols = [ALL_COLUMNS[k] for k in ("name", "host", "cpu", "disk")]
    export("csv", _rows(), cols, str(tmp_path / "vms.csv"))
    with (tmp_path / "vms.csv").open(encoding="utf-8", newline="") as f:
        lines = list(csv.reader(f))
    assert lines == [
        ["name", "host", "cpu_pct", "disk_rd_bps", "disk_wr_bps"],
        ["web-01", "hv1", "12.5", "1500.0", ""],
        ['db "a", b', "hv2", "", "", ""],
    ]


def test_a_bad_path_is_refused_in_words_and_nothing_is_half_written(tmp_path: Path) -> None:
    cols = columns_for(80, many_hosts=False)
    with pytest.raises(ExportError, match="no directory"):
        export("csv", _rows(), cols, str(tmp_path / "missing" / "vms.csv"))
    with pytest.raises(ExportError, match="is a directory"):
        export("csv", _rows(), cols, str(tmp_path))
    with pytest.raises(ExportError, match=r"cannot write /proc/vms\.csv"):
        export("csv", _rows(), cols, "/proc/vms.csv")  # refused even to root


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A full disk cannot be made here for real: the rename is made to fail instead.
    old = tmp_path / "vms.csv"
    old.write_text("before\n", encoding="utf-8")

    def full(_a: object, _b: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("limen_tui.ui.export.os.replace", full)
    with pytest.raises(ExportError, match="No space left"):
        export("csv", _rows(), columns_for(80, many_hosts=False), str(old))
    assert old.read_text(encoding="utf-8") == "before\n"
    assert [p.name for p in tmp_path.iterdir()] == ["vms.csv"]


async def test_export_from_the_command_line_writes_every_row_as_shown(tmp_path: Path) -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        table: VmTable = app.query_one(VmTable)
        await wait_for(lambda: table.row_count == 48)
        await burst(pilot, "colon", *"sort mem desc", "enter")
        await burst(pilot, "colon", *"filter web", "enter")
        await wait_for(lambda: 0 < table.row_count < 48)
        path = tmp_path / "view.json"
        await burst(pilot, "colon", *f"export json {path}", "enter")
        await wait_for(path.exists)
        data = json.loads(path.read_text(encoding="utf-8"))
        shown = table.shown_rows()
        assert [d["name"] for d in data] == [r.name for r in shown[: len(data)]]
        assert len(data) == table.row_count
        names = [f for c in table.shown_columns for f, _ in c.fields]
        assert list(data[0]) == names
        by_name = {r.name: r for r in table.rows_by_key.values()}
        for d in data:
            kib = by_name[d["name"]].mem_current_kib or by_name[d["name"]].mem_max_kib
            assert d["mem_bytes"] == (None if kib is None else kib * 1024)
        mems = [d["mem_bytes"] or 0 for d in data]
        assert mems == sorted(mems, reverse=True)
        await burst(pilot, "colon", *f"export csv {tmp_path}/nowhere/x.csv", "enter")
        await wait_for(lambda: any("export failed" in n.message for n in app._notifications))
        assert any("no directory" in n.message for n in app._notifications)
