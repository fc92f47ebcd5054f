"""The engine that a command's settings ask for: `realtime run`, `eval temporal` and the Python API
(realtime/api.py) build theirs here."""
from __future__ import annotations

import logging

from realtime.engine.device import pick_device, resolve_model
from realtime.engine.memory import check_frame_memory
from realtime.engine.sizes import resolve_inference_size
from realtime.engine.style_cache import PictureStyles
from realtime.engine.style_engine import Masking, Sizes, StyleEngine
from realtime.settings import DEFAULT_SEGMENTER, RunSettings
from realtime.styles.registry import StyleRegistry

log = logging.getLogger("realtime")


def build_engine(settings: RunSettings, registry: StyleRegistry, live: bool) -> StyleEngine:
    """An engine for the settings, its style and person segmenter loaded (a missing one fails now, not
    mid-stream). `live`: frames keep up with a clock (the network may run smaller, the flow is found faster)."""
    device = pick_device(settings.device)
    if settings.size is not None:
        check_frame_memory(settings.size, device)
    model = resolve_model(settings.model)
    inference_size = resolve_inference_size(settings.inference_size, device, live, model)
    engine = StyleEngine(registry, device, model, precision=settings.precision, live=live,
                         sizes=Sizes(settings.size, inference_size, settings.upsample),
                         pictures=PictureStyles(settings.mix, settings.picture_model),
                         masking=Masking(settings.segmenter, settings.mask))
    if settings.look().needs_mask or settings.segmenter != DEFAULT_SEGMENTER:  # a given one is checked even if unused yet
        engine.segmenter(*(settings.size or (16, 9)))
    loaded = engine.styles.check(settings.style)
    if settings.model != "auto" and loaded.ref.model not in (model, None):  # auto falls back quietly
        log.warning("style %s has no %s model; using its %s model", settings.style, model, loaded.ref.model)
    return engine
