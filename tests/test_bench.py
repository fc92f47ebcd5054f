"""The benchmark runs the real pipeline on a tiny configuration and reports every field."""
from __future__ import annotations

import json

import pytest
from conftest import run_cli

from realtime.errors import UserError
from realtime.measure import competing_load
from realtime.measure.bench_report import STAGES


@pytest.mark.slow
def test_bench_writes_well_formed_json_and_markdown(clip, tmp_path):
    report_path, table_path = tmp_path / "bench.json", tmp_path / "benchmarks.md"
    result = run_cli("bench", "--input", str(clip), "--frames", "6", "--devices", "cpu", "--models", "magenta",
                     "--sizes", "64x48", "--record", "off,on", "--segmentation", "off,on", "--json", str(report_path), "--markdown", str(table_path))
    assert result.returncode == 0, result.stderr
    report = json.loads(report_path.read_text())
    assert set(report["machine"]) == {"cpu", "gpu", "torch", "python", "date"}
    assert len(report["results"]) == 4
    for entry in report["results"]:
        assert entry["config"]["model"] == "magenta" and entry["config"]["size"] == [64, 48]
        assert entry["fps"] > 0 and entry["baseline_fps"] > 0 and entry["speedup"] > 0
        assert entry["frames"] == 6
        assert set(entry["stage_ms"]) == set(STAGES)
        for stage in ("decode", "upload", "style", "composite", "download"):
            assert entry["stage_ms"][stage] > 0
        assert set(entry["latency_ms"]) == {"median", "p95"} and entry["latency_ms"]["p95"] >= entry["latency_ms"]["median"] > 0
        assert entry["dropped"] >= 0 and entry["auto_model"] is True
    recorded = [entry for entry in report["results"] if entry["config"]["record"]]
    assert recorded[0]["stage_ms"]["encode"] > 0
    segmented = [entry for entry in report["results"] if entry["config"]["segmentation"]]
    assert segmented[0]["stage_ms"]["segmentation"] > 0
    assert all(entry["stage_ms"]["segmentation"] is None for entry in report["results"] if not entry["config"]["segmentation"])
    table = table_path.read_text()
    assert "| cpu magenta 64x48 auto torchscript (auto) |" in table and "record" in table


@pytest.mark.parametrize("script, message", [("import time; time.sleep(60)", "did not start computing in 1 s"),
                                             ("raise SystemExit(3)", "failed to start \\(exit code 3\\)")])
def test_a_hung_or_failed_load_helper_stops_the_bench_in_one_line(monkeypatch, script, message):
    monkeypatch.setattr(competing_load, "BUSY_SCRIPT", script)
    monkeypatch.setattr(competing_load, "READY_SECONDS", 1.0)
    with pytest.raises(UserError, match=message), competing_load.competing_processes(1):
        pass
