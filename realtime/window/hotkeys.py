"""The live window's keys: one table for the window, --help and the on-screen key list."""
from __future__ import annotations

# (keys as shown to people, action, what it does)
HOTKEYS: list[tuple[str, str, str]] = [
    ("1-9", "style:N", "pick style N"),
    ("Right / N", "next_style", "next style"),
    ("Left / P", "previous_style", "previous style"),
    ("+ / -", "stronger / weaker", "stylization strength (with --picture-model adain: its alpha)"),
    ("[ / ]", "smaller_strokes / bigger_strokes", "stroke size (the network's size for the style)"),
    ("K", "keep_colors", "keep the photo's colours on / off"),
    ("G", "stylize_mode", "stylize all / the person / the background"),
    ("V", "mask", "show the person mask"),
    ("C", "compare", "split screen: original | stylized"),
    ("M", "mirror", "mirror the image"),
    ("Space", "pause", "pause / resume"),
    ("S", "screenshot", "save a PNG screenshot (without the HUD)"),
    ("R", "record", "start / stop recording into --record-dir"),
    ("O", "ndi", "NDI output on / off (with --ndi NAME)"),
    ("F", "fullscreen", "fullscreen on / off"),
    ("Y", "vsync", "vsync on / off"),
    ("H", "hud", "show / hide the HUD"),
    ("?", "help", "show / hide this key list"),
    ("Esc / Q", "quit", "quit"),
    ("drop a picture", "drop:PATH", "use the picture as the style"),
]

# Printable keys arrive as characters, so they follow the keyboard layout.
CHAR_ACTIONS: dict[str, str] = {
    **{str(n): f"style:{n}" for n in range(1, 10)},
    "n": "next_style", "N": "next_style", "p": "previous_style", "P": "previous_style",
    "+": "stronger", "=": "stronger", "-": "weaker", "_": "weaker",
    "c": "compare", "C": "compare", "g": "stylize_mode", "G": "stylize_mode", "v": "mask", "V": "mask", "m": "mirror", "M": "mirror",
    "k": "keep_colors", "K": "keep_colors", "[": "smaller_strokes", "]": "bigger_strokes", "o": "ndi", "O": "ndi",
    " ": "pause", "r": "record", "R": "record", "s": "screenshot", "S": "screenshot", "f": "fullscreen", "F": "fullscreen",
    "y": "vsync", "Y": "vsync", "h": "hud", "H": "hud", "?": "help", "q": "quit", "Q": "quit",
}

# Keys without a character, by GLFW key name.
NAMED_KEY_ACTIONS: dict[str, str] = {"ESCAPE": "quit", "RIGHT": "next_style", "LEFT": "previous_style"}


def key_list_rows() -> list[tuple[str, str]]:
    return [(keys, description) for keys, _, description in HOTKEYS]


def key_list_text() -> str:
    """The key list as plain aligned text, for --help and the README."""
    width = max(len(keys) for keys, _ in key_list_rows())
    return "\n".join(f"  {keys:<{width}}  {description}" for keys, description in key_list_rows())
