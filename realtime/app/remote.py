"""Remote control for operators: a small HTTP endpoint and an OSC server, localhost by default.

Both turn messages into validated commands on a queue that the window's main thread
applies between frames; anything invalid is answered with an error and logged, and
never reaches the app. Commands (HTTP: POST /NAME?value=V; OSC: /NAME V):
  style NAME            switch style (a --style-dir picture by its file name); NAME,NAME2: two styles
                        of one pack mixed as --mix says (ice_blue,red_embers)
  mode all|person|background
  strength 0..1         blend with the original
  record start|stop
  ndi on|off            send frames to --ndi's source, or hold them back
Status: HTTP GET /status (JSON); OSC /status replies nothing (UDP is one-way here).

With a token (`--remote-token`, required to listen beyond this machine), HTTP requests carry
it as `Authorization: Bearer TOKEN` or `?token=TOKEN`, and OSC messages as their first
argument (/style TOKEN NAME). Every HTTP answer is JSON, errors included.
"""
from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import queue
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from realtime.look import STYLIZE_MODES
from realtime.styles.registry import display_name, is_picture_style

log = logging.getLogger("realtime")
Command = tuple[str, Any]
MAX_VALUE_LENGTH = 256  # longer values are refused, and never echoed or logged in full
MAX_PATH_LENGTH = 1024
IDLE_SECONDS = 10.0  # an HTTP connection that sends nothing for this long is closed


class Unauthorized(ValueError):
    """A message without the right token."""


def shortened(value: Any, length: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= length else text[:length] + f"... ({len(text)} characters)"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to any interface


def parse_command(name: str, value: Any, styles: list[str], packs: Mapping[str, object] = {}) -> Command:
    """A checked (name, value) pair; ValueError with a readable reason otherwise. `packs`: each pack style's
    name -> its pack, for mixes of two styles of one pack."""
    if len(str(value)) > MAX_VALUE_LENGTH:
        raise ValueError(f"value too long ({len(str(value))} characters; at most {MAX_VALUE_LENGTH})")
    if name == "style":
        if "," in str(value):
            return name, pack_mix(str(value), packs)
        return name, style_from_list(str(value), styles)
    if name == "mode":
        if value not in STYLIZE_MODES:
            raise ValueError(f"mode must be one of {', '.join(STYLIZE_MODES)}")
        return name, value
    if name == "strength":
        strength = float(value) + 0.0  # + 0.0 turns -0.0 into 0.0
        if not 0.0 <= strength <= 1.0:
            raise ValueError("strength must be between 0 and 1")
        return name, strength
    if name == "record":
        if value not in ("start", "stop"):
            raise ValueError("record takes start or stop")
        return name, value
    if name == "ndi":
        if value not in ("on", "off"):
            raise ValueError("ndi takes on or off")
        return name, value
    raise ValueError(f"unknown command {shortened(name)}; use style, mode, strength, record or ndi")


def style_from_list(value: str, styles: list[str]) -> str:
    """A style of the app's list, by name; pictures (--style-dir) also by file name or stem.
    Never a path from the network: only what the list already holds."""
    if value in styles:
        return value
    for style in styles:
        if is_picture_style(style) and value in (Path(style).name, Path(style).stem):
            return style
    raise ValueError(f"unknown style {shortened(value)}; available: {', '.join(map(display_name, styles))}")


def pack_mix(value: str, packs: Mapping[str, object]) -> str:
    """Two styles of one pack, as "a,b" (the engine mixes them in the norms, --mix of the second)."""
    parts = [part.strip() for part in value.split(",")]
    if len(parts) != 2 or not all(part in packs for part in parts) or packs[parts[0]] != packs[parts[1]]:
        examples = ",".join(sorted(packs)[:2]) or "none here"
        raise ValueError(f"a mix {shortened(value)} is two styles of one pack, e.g. {examples}")
    return ",".join(parts)


class RemoteControl:
    """The command queue and the status both servers share. `packs`: each pack style's name -> its pack
    (StyleRegistry.packs()), so two styles of one pack can be asked for mixed."""

    def __init__(self, styles: list[str], token: str | None = None, packs: Mapping[str, object] | None = None):
        self.styles = styles
        self.packs = dict(packs or {})
        self.token = token
        self.commands: queue.Queue[Command] = queue.Queue(maxsize=100)
        self.status: dict[str, Any] = {}
        self._servers: list[Callable[[], None]] = []

    def check_token(self, given: str | None) -> None:
        if self.token is not None and not hmac.compare_digest(str(given or "").encode(), self.token.encode()):
            raise Unauthorized("missing or wrong token")

    def submit(self, name: str, value: Any, origin: str) -> Command:
        command = parse_command(name, value, self.styles, self.packs)
        self.commands.put_nowait(command)
        log.info("remote %s: %s %s", origin, name, shortened(value))
        return command

    def pending(self) -> list[Command]:
        commands = []
        while not self.commands.empty():
            commands.append(self.commands.get_nowait())
        return commands

    def serve_http(self, host: str, port: int) -> int:
        server = ThreadingHTTPServer((host, port), _http_handler(self))
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, name="http-control", daemon=True).start()
        self._servers.append(server.shutdown)
        log.info("HTTP control on http://%s:%d", host, server.server_address[1])
        return server.server_address[1]

    def serve_osc(self, host: str, port: int) -> int:
        from pythonosc.dispatcher import Dispatcher
        from pythonosc.osc_server import ThreadingOSCUDPServer

        dispatcher = Dispatcher()
        dispatcher.set_default_handler(self._on_osc)
        server = ThreadingOSCUDPServer((host, port), dispatcher)
        threading.Thread(target=server.serve_forever, name="osc-control", daemon=True).start()
        self._servers.append(server.shutdown)
        log.info("OSC control on udp://%s:%d", host, server.server_address[1])
        return server.server_address[1]

    def _on_osc(self, address: str, *arguments: Any) -> None:
        try:
            if self.token is not None:
                self.check_token(arguments[0] if arguments else None)
                arguments = arguments[1:]
            if len(arguments) != 1:
                raise ValueError("send exactly one argument" + " after the token" * (self.token is not None))
            self.submit(address.strip("/"), arguments[0], "OSC")
        except (ValueError, TypeError, queue.Full) as exc:
            log.warning("rejected OSC %s %s: %s", address[:80], shortened(arguments), exc)

    def close(self) -> None:
        for shutdown in self._servers:
            shutdown()


class ControlHandler(BaseHTTPRequestHandler):
    """The HTTP side of a RemoteControl (`control`, set by _http_handler): GET /status, POST /NAME?value=V;
    every answer JSON."""
    control: RemoteControl
    timeout = IDLE_SECONDS  # applied to the connection's socket: idle clients do not hold a thread
    error_content_type = "application/json"
    error_message_format = ""  # send_error below writes JSON instead of the standard HTML page
    # A request line too broken to name its version is answered as HTTP/1.0, with a status line
    # (as HTTP/0.9, the default, the answer would be a bare body).
    default_request_version = "HTTP/1.0"

    def do_GET(self) -> None:
        url = self._authorized_url()
        if url is None:
            return
        if url.path != "/status":
            self._reply(404, {"error": "GET /status, or POST /style|/mode|/strength|/record?value=V"})
            return
        self._reply(200, self.control.status)

    def do_POST(self) -> None:
        url = self._authorized_url()
        if url is None:
            return
        try:
            values = parse_qs(url.query).get("value", [])
            if len(values) != 1:
                raise ValueError("give exactly one ?value=")
            name, value = self.control.submit(url.path.strip("/"), values[0], "HTTP")
        except (ValueError, queue.Full) as exc:
            log.warning("rejected HTTP %s: %s", shortened(self.path, 80), exc)
            self._reply(400, {"error": str(exc)})
            return
        self._reply(200, {"ok": True, name: value})

    def _authorized_url(self):
        """The request's URL if it is short enough and carries the token; else answer and return None."""
        if len(self.path) > MAX_PATH_LENGTH:
            self._reply(414, {"error": f"request too long (at most {MAX_PATH_LENGTH} characters)"})
            return None
        url = urlparse(self.path)
        scheme, _, credentials = self.headers.get("Authorization", "").strip().partition(" ")
        bearer = credentials.strip() if scheme.lower() == "bearer" else ""  # schemes are case-insensitive
        try:
            self.control.check_token(bearer or parse_qs(url.query).get("token", [None])[0])
        except Unauthorized as exc:
            log.warning("rejected HTTP %s from %s: %s", shortened(url.path, 80), self.client_address[0], exc)
            self._reply(401, {"error": str(exc)})
            return None
        return url

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Malformed requests and other methods: the same JSON errors as everything else."""
        self.close_connection = True
        self._reply(code, {"error": message or self.responses.get(code, ("error",))[0]})

    def _reply(self, code: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("http: " + format, *args)


def _http_handler(control: RemoteControl) -> type[BaseHTTPRequestHandler]:
    """A handler class serving `control` (http.server makes one handler object per request)."""
    return type("Handler", (ControlHandler,), {"control": control})

