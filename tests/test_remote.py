"""Remote control over real HTTP and OSC sockets on localhost; bad messages never reach the app."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from conftest import ROOT
from pythonosc.udp_client import SimpleUDPClient

from realtime.app.remote import RemoteControl
from realtime.cli import apply_config, build_parser
from realtime.errors import UserError

STYLES = ["cool", "warm"]


@pytest.fixture()
def control():
    remote = RemoteControl(STYLES)
    yield remote
    remote.close()


def post(port: int, path: str) -> tuple[int, dict]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_http_commands_and_status(control):
    port = control.serve_http("127.0.0.1", 0)
    assert post(port, "/style?value=cool") == (200, {"ok": True, "style": "cool"})
    assert post(port, "/strength?value=0.4")[0] == 200
    assert control.pending() == [("style", "cool"), ("strength", 0.4)]
    control.status = {"style": "cool", "fps": 30.0}
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/status", timeout=5) as response:
        assert json.loads(response.read()) == {"style": "cool", "fps": 30.0}


@pytest.mark.parametrize("path", ["/style?value=nope", "/strength?value=7", "/strength?value=abc", "/mode?value=x",
                                  "/record?value=maybe", "/explode?value=1", "/style", "/style?value=a&value=b"])
def test_http_rejects_bad_commands(control, path):
    port = control.serve_http("127.0.0.1", 0)
    code, body = post(port, path)
    assert code == 400 and body["error"]
    assert control.pending() == []


def test_http_survives_garbage_bytes(control):
    port = control.serve_http("127.0.0.1", 0)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        raw.sendall(b"\x00\xff garbage \r\n\r\n")
        assert raw.recv(1024).startswith(b"HTTP/1.0 400 ")  # an answer with a status line, not a bare body
    assert post(port, "/mode?value=person")[0] == 200  # still serving


def test_osc_commands_and_bad_messages(control, caplog):
    port = control.serve_osc("127.0.0.1", 0)
    client = SimpleUDPClient("127.0.0.1", port)
    client.send_message("/mode", "background")
    client.send_message("/strength", 2.5)  # out of range
    client.send_message("/style", ["warm", "extra"])  # two arguments
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as raw:
        raw.sendto(b"\x13not osc at all", ("127.0.0.1", port))
    client.send_message("/record", "start")
    deadline = time.monotonic() + 5
    received = []
    while len(received) < 2 and time.monotonic() < deadline:
        received += control.pending()
        time.sleep(0.05)
    assert received == [("mode", "background"), ("record", "start")]
    assert "rejected OSC /strength" in caplog.text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_fuzzed_config_files_never_crash(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("fuzz") / "show.toml"
    path.write_text(text)
    _, subparsers = build_parser()
    try:
        apply_config(subparsers["run"], path)
    except UserError:
        pass  # a clear error is the right answer to a bad file


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["style", "size", "cycle", "crf", "stylize", "no-display", "loop", "model",
                                        "mask-feather", "playlist", "fragmented", "bogus"]),
                       st.one_of(st.text(max_size=12), st.integers(), st.floats(allow_nan=False), st.booleans()),
                       max_size=4))
def test_fuzzed_config_values_never_crash(tmp_path_factory, values):
    lines = [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    path = tmp_path_factory.mktemp("fuzz") / "show.toml"
    path.write_text("\n".join(lines))
    _, subparsers = build_parser()
    try:
        apply_config(subparsers["run"], path)
    except UserError:
        pass


def test_style_dir_pictures_by_file_name_and_never_a_path_from_the_network(tmp_path):
    picture = str(tmp_path / "klimt_kiss.jpg")
    remote = RemoteControl([*STYLES, picture])
    try:
        port = remote.serve_http("127.0.0.1", 0)
        assert post(port, "/style?value=klimt_kiss.jpg") == (200, {"ok": True, "style": picture})
        assert post(port, "/style?value=klimt_kiss")[0] == 200
        for outside in ("/etc/hosts.png", str(tmp_path / "other.jpg"), "../klimt_kiss.jpg"):
            code, body = post(port, f"/style?value={outside}")
            assert code == 400 and "unknown style" in body["error"]
        assert remote.pending() == [("style", picture), ("style", picture)]
    finally:
        remote.close()


def request(port: int, method: str, path: str, headers: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_token_is_required_on_http_and_osc_when_set():
    remote = RemoteControl(STYLES, token="s3cret")
    try:
        port = remote.serve_http("127.0.0.1", 0)
        assert request(port, "POST", "/style?value=cool")[0] == 401
        assert request(port, "POST", "/style?value=cool&token=wrong")[0] == 401
        assert request(port, "GET", "/status")[0] == 401
        assert request(port, "POST", "/style?value=cool&token=s3cret")[0] == 200
        assert request(port, "POST", "/mode?value=person", {"Authorization": "Bearer s3cret"})[0] == 200
        assert request(port, "GET", "/status", {"Authorization": "bearer s3cret"})[0] == 200  # case-insensitive
        assert request(port, "GET", "/status", {"Authorization": "Basic s3cret"})[0] == 401  # not the scheme
        osc_port = remote.serve_osc("127.0.0.1", 0)
        client = SimpleUDPClient("127.0.0.1", osc_port)
        client.send_message("/mode", "all")  # no token: dropped
        client.send_message("/mode", ["wrong", "all"])
        client.send_message("/strength", ["s3cret", 0.5])
        received = []
        deadline = time.monotonic() + 5
        while len(received) < 3 and time.monotonic() < deadline:
            received += remote.pending()
            time.sleep(0.05)
        assert received == [("style", "cool"), ("mode", "person"), ("strength", 0.5)]
    finally:
        remote.close()


def test_http_answers_json_to_everything_and_caps_lengths(control, caplog):
    port = control.serve_http("127.0.0.1", 0)
    for method in ("PUT", "DELETE", "PATCH"):
        code, body = request(port, method, "/style?value=cool")
        assert code == 501 and "Unsupported method" in body["error"]
    long_value = "x" * 60_000
    code, body = request(port, "POST", f"/style?value={long_value[:900]}")
    assert code == 400 and len(json.dumps(body)) < 400
    code, body = request(port, "POST", f"/style?value={long_value}")
    assert code == 414 and len(json.dumps(body)) < 400
    assert all(len(record.getMessage()) < 1000 for record in caplog.records)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        raw.sendall(b"GET /a b HTTP/1.1\r\n\r\n")  # a malformed request line
        reply = b""
        while chunk := raw.recv(4096):  # the server closes the connection after an error
            reply += chunk
        reply = reply.decode()
    assert reply.startswith("HTTP/1.0 400") and "application/json" in reply
    assert "Bad request syntax" in json.loads(reply.split("\r\n\r\n", 1)[1])["error"]
    assert control.pending() == []
    assert post(port, "/strength?value=-0") == (200, {"ok": True, "strength": 0.0})
    assert str(control.pending()[0][1]) == "0.0"


def test_idle_http_connections_are_closed(monkeypatch):
    monkeypatch.setattr("realtime.app.remote.IDLE_SECONDS", 0.5)
    remote = RemoteControl(STYLES)
    try:
        port = remote.serve_http("127.0.0.1", 0)
        with socket.create_connection(("127.0.0.1", port), timeout=30) as idle:
            idle.sendall(b"GET /sta")  # and then nothing
            assert idle.recv(4096) == b""  # the server hung up instead of waiting forever
    finally:
        remote.close()


def test_log_lines_are_printed_once_after_an_osc_message(tmp_path):
    """python-osc logs through logging.debug(), which gives the root logger a stderr handler on first use
    when it has none: every line of ours was printed twice from the first OSC message on. In a process
    of its own, as the app runs: pytest's log capture gives the root logger handlers here."""
    script = tmp_path / "osc_then_log.py"
    script.write_text('''
import logging, time
from pythonosc.udp_client import SimpleUDPClient
from realtime.app.remote import RemoteControl
from realtime.logs import setup_logging

setup_logging(None)
remote = RemoteControl(["cool", "warm"])
SimpleUDPClient("127.0.0.1", remote.serve_osc("127.0.0.1", 0)).send_message("/style", "warm")
deadline = time.monotonic() + 10
while not remote.pending() and time.monotonic() < deadline:
    time.sleep(0.05)
logging.getLogger("realtime").warning("a line of ours")
remote.close()
''')
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("a line of ours") == 1, result.stderr
