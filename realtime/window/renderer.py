"""The live window: GLFW + an OpenGL 3.3 core context, GLSL programs from shaders/ (assets.SHADERS).

Frames go to a texture through a pair of pixel buffer objects, are drawn
letterboxed to keep their aspect ratio, and crossfade for STYLE_FADE_SECONDS when the
style changes. The HUD is a separate texture drawn on top, so it never reaches
recordings. Keys become action names (see hotkeys.py) that the app polls.
"""
from __future__ import annotations

import ctypes
import time

import glfw
import numpy as np
from OpenGL import GL

from realtime.assets import SHADERS
from realtime.errors import UserError
from realtime.look import STYLE_FADE_SECONDS
from realtime.window.hotkeys import CHAR_ACTIONS, NAMED_KEY_ACTIONS
from realtime.window.hud import MARGIN

Anchor = str | tuple[int, int]  # "top-left", "top-right", "center", or the (left, top) pixel


def load_program(vertex: str, fragment: str) -> int:
    """Compile and link SHADERS/<vertex>.vert and SHADERS/<fragment>.frag."""
    shaders = []
    for name, kind in ((f"{vertex}.vert", GL.GL_VERTEX_SHADER), (f"{fragment}.frag", GL.GL_FRAGMENT_SHADER)):
        shader = GL.glCreateShader(kind)
        GL.glShaderSource(shader, (SHADERS / name).read_text())
        GL.glCompileShader(shader)
        if not GL.glGetShaderiv(shader, GL.GL_COMPILE_STATUS):
            raise RuntimeError(f"shader {name} failed to compile: {GL.glGetShaderInfoLog(shader).decode()}")
        shaders.append(shader)
    program = GL.glCreateProgram()
    for shader in shaders:
        GL.glAttachShader(program, shader)
    GL.glLinkProgram(program)
    if not GL.glGetProgramiv(program, GL.GL_LINK_STATUS):
        raise RuntimeError(f"shader program {vertex}+{fragment} failed to link: {GL.glGetProgramInfoLog(program).decode()}")
    for shader in shaders:
        GL.glDeleteShader(shader)
    return program


def letterbox(frame_w: int, frame_h: int, window_w: int, window_h: int) -> tuple[int, int, int, int]:
    """The largest viewport (x, y, w, h) of the frame's aspect ratio centred in the window."""
    scale = min(window_w / frame_w, window_h / frame_h)
    w, h = max(1, round(frame_w * scale)), max(1, round(frame_h * scale))
    return (window_w - w) // 2, (window_h - h) // 2, w, h


def overlay_rect(anchor: Anchor, width: int, height: int, window_w: int, window_h: int) -> tuple[int, int, int, int]:
    """Where an overlay of width x height goes in the window: (left, top, width, height), top row 0."""
    if isinstance(anchor, tuple):
        return (*anchor, width, height)
    left, top = {"top-left": (MARGIN, MARGIN), "top-right": (window_w - width - MARGIN, MARGIN),
                 "center": ((window_w - width) // 2, (window_h - height) // 2)}[anchor]
    return left, top, width, height


def _new_texture() -> int:
    texture = GL.glGenTextures(1)
    GL.glBindTexture(GL.GL_TEXTURE_2D, texture)
    for parameter, value in ((GL.GL_TEXTURE_MIN_FILTER, GL.GL_LINEAR), (GL.GL_TEXTURE_MAG_FILTER, GL.GL_LINEAR),
                             (GL.GL_TEXTURE_WRAP_S, GL.GL_CLAMP_TO_EDGE), (GL.GL_TEXTURE_WRAP_T, GL.GL_CLAMP_TO_EDGE)):
        GL.glTexParameteri(GL.GL_TEXTURE_2D, parameter, value)
    return texture


def init_glfw() -> None:
    glfw.ERROR_REPORTING = "ignore"  # failures are reported by us, in one line
    if not glfw.init():
        raise UserError("no display available; use --no-display --output FILE, or run under xvfb-run")


def monitor_list() -> list[str]:
    """One line per monitor: its number for --monitor, name and current mode."""
    init_glfw()
    lines = []
    for number, monitor in enumerate(glfw.get_monitors()):
        mode = glfw.get_video_mode(monitor)
        lines.append(f"{number}: {glfw.get_monitor_name(monitor).decode(errors='replace')} "
                     f"{mode.size.width}x{mode.size.height} @ {mode.refresh_rate} Hz")
    return lines


class Renderer:
    def __init__(self, width: int, height: int, title: str = "realtime", vsync: bool = True,
                 fullscreen: bool = False, monitor: int = 0):
        init_glfw()
        monitors = glfw.get_monitors()
        if fullscreen and not 0 <= monitor < len(monitors):
            glfw.terminate()
            raise UserError(f"there is no monitor {monitor}; --list-monitors shows the {len(monitors)} there are")
        glfw.window_hint(glfw.CONTEXT_VERSION_MAJOR, 3)
        glfw.window_hint(glfw.CONTEXT_VERSION_MINOR, 3)
        glfw.window_hint(glfw.OPENGL_PROFILE, glfw.OPENGL_CORE_PROFILE)
        glfw.window_hint(glfw.OPENGL_FORWARD_COMPAT, True)
        self._windowed_geometry: tuple[int, int, int, int] | None = None
        self.window = glfw.create_window(width, height, title, None, None)
        if not self.window:
            glfw.terminate()
            raise UserError("could not open an OpenGL 3.3 window; use --no-display --output FILE, or run under xvfb-run")
        glfw.make_context_current(self.window)
        self.wanted_monitor = monitor
        if fullscreen:
            self._go_fullscreen(monitors[monitor])
            glfw.set_input_mode(self.window, glfw.CURSOR, glfw.CURSOR_HIDDEN)  # an installation shows no cursor
        glfw.set_monitor_callback(self._on_monitor_change)
        self.vsync = vsync
        glfw.swap_interval(1 if vsync else 0)
        self.actions: list[str] = []
        glfw.set_char_callback(self.window, self._on_char)
        glfw.set_key_callback(self.window, self._on_key)
        glfw.set_drop_callback(self.window, self._on_drop)

        self.frame_program = load_program("quad", "frame")
        self.overlay_program = load_program("quad", "overlay")
        self.vertex_array = GL.glGenVertexArrays(1)
        self.textures = [_new_texture(), _new_texture()]  # [current, previous]
        self.overlay_texture = _new_texture()
        self.pixel_buffers = list(GL.glGenBuffers(2))
        self.frame_size: tuple[int, int] | None = None
        self.frame_style: str | None = None
        self.fade_started = -STYLE_FADE_SECONDS
        self.overlays: list[tuple[np.ndarray, Anchor]] = []

    # -- input ---------------------------------------------------------------
    def _on_char(self, _window, codepoint: int) -> None:
        action = CHAR_ACTIONS.get(chr(codepoint))
        if action:
            self.actions.append(action)

    def _on_key(self, _window, key: int, _scancode: int, action: int, _mods: int) -> None:
        if action not in (glfw.PRESS, glfw.REPEAT):
            return
        for name, mapped in NAMED_KEY_ACTIONS.items():
            if key == getattr(glfw, f"KEY_{name}"):
                self.actions.append(mapped)

    def _on_drop(self, _window, paths: list[str]) -> None:
        self.actions += [f"drop:{path}" for path in paths]

    def poll_actions(self) -> list[str]:
        glfw.poll_events()
        if glfw.window_should_close(self.window):
            self.actions.append("quit")
        actions, self.actions = self.actions, []
        return actions

    # -- frames ----------------------------------------------------------------
    def show(self, image: np.ndarray, style: str) -> None:
        """Upload an H x W x 3 uint8 BGR frame; a new style starts a crossfade from the last frame."""
        height, width = image.shape[:2]
        if (width, height) != self.frame_size:
            for texture in self.textures:
                GL.glBindTexture(GL.GL_TEXTURE_2D, texture)
                GL.glTexImage2D(GL.GL_TEXTURE_2D, 0, GL.GL_RGB8, width, height, 0, GL.GL_BGR, GL.GL_UNSIGNED_BYTE, None)
            self.frame_size = (width, height)
            self.frame_style = None
        if self.frame_style is not None and style != self.frame_style:
            self.textures.reverse()  # the old current frame becomes the one we fade from
            self.fade_started = time.monotonic()
        if self.frame_style is None:
            self._upload(self.textures[1], image)  # nothing to fade from yet
        self.frame_style = style
        self._upload(self.textures[0], image)

    def _upload(self, texture: int, image: np.ndarray) -> None:
        height, width = image.shape[:2]
        self.pixel_buffers.reverse()  # alternate so the driver never waits on the buffer in use
        GL.glBindBuffer(GL.GL_PIXEL_UNPACK_BUFFER, self.pixel_buffers[0])
        GL.glBufferData(GL.GL_PIXEL_UNPACK_BUFFER, image.nbytes, None, GL.GL_STREAM_DRAW)  # orphan the old storage
        GL.glBufferSubData(GL.GL_PIXEL_UNPACK_BUFFER, 0, image.nbytes, np.ascontiguousarray(image))
        GL.glBindTexture(GL.GL_TEXTURE_2D, texture)
        GL.glPixelStorei(GL.GL_UNPACK_ALIGNMENT, 1)
        GL.glTexSubImage2D(GL.GL_TEXTURE_2D, 0, 0, 0, width, height, GL.GL_BGR, GL.GL_UNSIGNED_BYTE, ctypes.c_void_p(0))
        GL.glBindBuffer(GL.GL_PIXEL_UNPACK_BUFFER, 0)

    def set_overlays(self, overlays: list[tuple[np.ndarray, Anchor]]) -> None:
        """RGBA images to draw over the frame, each anchored "top-left", "top-right", "center" or at a pixel."""
        self.overlays = overlays

    @property
    def size(self) -> tuple[int, int]:
        """The drawable's (width, height) in pixels, which overlays are laid out in."""
        return glfw.get_framebuffer_size(self.window)

    @property
    def fading(self) -> bool:
        return time.monotonic() - self.fade_started < STYLE_FADE_SECONDS

    # -- drawing ---------------------------------------------------------------
    def draw(self) -> None:
        window_w, window_h = glfw.get_framebuffer_size(self.window)
        GL.glViewport(0, 0, window_w, window_h)
        GL.glClearColor(0.0, 0.0, 0.0, 1.0)
        GL.glClear(GL.GL_COLOR_BUFFER_BIT)
        if self.frame_size is None or window_w == 0 or window_h == 0:
            return
        GL.glBindVertexArray(self.vertex_array)
        GL.glViewport(*letterbox(*self.frame_size, window_w, window_h))
        GL.glUseProgram(self.frame_program)
        for unit, (texture, uniform) in enumerate(zip(self.textures, ("current_frame", "previous_frame"), strict=True)):
            GL.glActiveTexture(GL.GL_TEXTURE0 + unit)
            GL.glBindTexture(GL.GL_TEXTURE_2D, texture)
            GL.glUniform1i(GL.glGetUniformLocation(self.frame_program, uniform), unit)
        fade = min(1.0, (time.monotonic() - self.fade_started) / STYLE_FADE_SECONDS)
        GL.glUniform1f(GL.glGetUniformLocation(self.frame_program, "fade"), fade)
        GL.glUniform4f(GL.glGetUniformLocation(self.frame_program, "rect"), -1.0, -1.0, 1.0, 1.0)
        GL.glDrawArrays(GL.GL_TRIANGLE_STRIP, 0, 4)
        GL.glViewport(0, 0, window_w, window_h)
        for image, anchor in self.overlays:
            self._draw_overlay(image, anchor, window_w, window_h)

    def _draw_overlay(self, image: np.ndarray, anchor: Anchor, window_w: int, window_h: int) -> None:
        left, top, width, height = overlay_rect(anchor, image.shape[1], image.shape[0], window_w, window_h)
        GL.glActiveTexture(GL.GL_TEXTURE0)
        GL.glBindTexture(GL.GL_TEXTURE_2D, self.overlay_texture)
        GL.glPixelStorei(GL.GL_UNPACK_ALIGNMENT, 1)
        GL.glTexImage2D(GL.GL_TEXTURE_2D, 0, GL.GL_RGBA8, width, height, 0, GL.GL_RGBA, GL.GL_UNSIGNED_BYTE,
                        np.ascontiguousarray(image))
        x0, x1 = 2 * left / window_w - 1, 2 * (left + width) / window_w - 1
        y1, y0 = 1 - 2 * top / window_h, 1 - 2 * (top + height) / window_h
        GL.glUseProgram(self.overlay_program)
        GL.glUniform1i(GL.glGetUniformLocation(self.overlay_program, "overlay"), 0)
        GL.glUniform4f(GL.glGetUniformLocation(self.overlay_program, "rect"), x0, y0, x1, y1)
        GL.glEnable(GL.GL_BLEND)
        GL.glBlendFunc(GL.GL_SRC_ALPHA, GL.GL_ONE_MINUS_SRC_ALPHA)
        GL.glDrawArrays(GL.GL_TRIANGLE_STRIP, 0, 4)
        GL.glDisable(GL.GL_BLEND)

    def present(self) -> None:
        glfw.swap_buffers(self.window)

    # -- window ----------------------------------------------------------------
    def toggle_vsync(self) -> None:
        self.vsync = not self.vsync
        glfw.swap_interval(1 if self.vsync else 0)

    def _go_fullscreen(self, monitor) -> None:
        mode = glfw.get_video_mode(monitor)
        if self._windowed_geometry is None:
            self._windowed_geometry = (*glfw.get_window_pos(self.window), *glfw.get_window_size(self.window))
        glfw.set_window_monitor(self.window, monitor, 0, 0, mode.size.width, mode.size.height, mode.refresh_rate)

    @property
    def fullscreen(self) -> bool:
        return bool(glfw.get_window_monitor(self.window))

    def _on_monitor_change(self, monitor, event: int) -> None:
        """Keep a fullscreen show on a screen: move to the primary monitor when ours goes away,
        and back when it returns."""
        if not self.fullscreen and self._windowed_geometry is None:
            return
        monitors = glfw.get_monitors()
        if event == glfw.DISCONNECTED and monitors:
            self._go_fullscreen(glfw.get_primary_monitor())
        elif event == glfw.CONNECTED and self.wanted_monitor < len(monitors):
            self._go_fullscreen(monitors[self.wanted_monitor])

    def toggle_fullscreen(self) -> None:
        if not self.fullscreen:
            monitor = glfw.get_primary_monitor()
            if monitor:
                self._go_fullscreen(monitor)
        elif self._windowed_geometry is not None:
            x, y, w, h = self._windowed_geometry
            self._windowed_geometry = None
            glfw.set_window_monitor(self.window, None, x, y, w, h, 0)

    def close(self) -> None:
        glfw.destroy_window(self.window)
        glfw.terminate()
