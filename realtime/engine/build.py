"""The engine that a command's settings ask for: `realtime run`, `eval temporal` and the Python API
(realtime/api.py) build theirs here."""
from __future__ import annotations

import logging

from realtime.engine.device import network_variant, pick_device
from realtime.engine.memory import check_frame_memory
from realtime.engine.sizes import resolve_inference_size
from realtime.engine.style_engine import StyleEngine
from realtime.settings import DEFAULT_SEGMENTER, RunSettings
from realtime.styles.registry import StyleRegistry

log = logging.getLogger("realtime")


def build_engine(settings: RunSettings, registry: StyleRegistry, live: bool) -> StyleEngine:
    """An engine for the settings, its style and person segmenter loaded (a missing one fails now, not
    mid-stream). `live`: frames keep up with a clock (the network may run smaller, the flow is found faster)."""
    device = pick_device(settings.device)
    if settings.size is not None:
        check_frame_memory(settings.size, device)
    variant = network_variant(settings.model)
    inference_size = resolve_inference_size(settings.inference_size, device, live, variant)
    engine = StyleEngine(registry, device, variant, settings.size, settings.precision, inference_size=inference_size,
                         picture_mix=settings.mix, picture_model=settings.picture_model, upsample_mode=settings.upsample,
                         mask_settings=settings.mask, live=live, segmenter=settings.segmenter)
    if settings.look().needs_mask or settings.segmenter != DEFAULT_SEGMENTER:  # a given one is checked even if unused yet
        engine.segmenter(*(settings.size or (16, 9)))
    loaded = engine.styles.check(settings.style)
    if settings.model != "auto" and loaded.ref.size not in (variant, None):  # auto falls back quietly
        log.warning("style %s has no %s model; using its %s model", settings.style, variant, loaded.ref.size)
    return engine
