"""One declaration per `realtime run` option (realtime/settings.py's RUN_OPTIONS, issue #38): registering one
Option puts it on the command line (in its --help group), in the config file (with its check), in RunSettings
and among Stylizer's keywords, with nothing else to touch."""
from __future__ import annotations

import dataclasses
import inspect

import pytest

from realtime import api
from realtime.cli.run_options import add_run_arguments, apply_config, run_settings
from realtime.cli.values import OneLineErrorParser
from realtime.errors import UserError
from realtime.options import RUN_AND_API, Option
from realtime.settings import RUN_OPTIONS, RunSettings, run_settings_class
from realtime.values import unit_interval

# The one place a new option is written (here a copy of the declarations plus it, instead of an edit of them).
GRAIN = Option("--grain", float, 0.0, "film grain over the stylized frame, 0 (none) to 1 (default: {default})",
               group="style", parse=unit_interval, metavar="G", where=RUN_AND_API)
OPTIONS = (*RUN_OPTIONS, GRAIN)


@pytest.fixture
def parser() -> OneLineErrorParser:
    parser = OneLineErrorParser(prog="realtime run")
    add_run_arguments(parser, OPTIONS)
    return parser


def test_a_registered_option_is_on_the_command_line_in_its_group(parser):
    text = parser.format_help()
    style_group = text.split("\nstyle:\n")[1].split("\nperson segmentation:\n")[0]
    assert "--grain G" in style_group and "0 (none) to 1 (default: 0)" in " ".join(style_group.split())
    settings = run_settings(parser.parse_args(["--grain", "0.3", "--style", "warm"]), run_settings_class(OPTIONS))
    assert (settings.grain, settings.style) == (0.3, "warm")
    with pytest.raises(UserError, match="argument --grain: must be between 0 and 1, not 2"):
        parser.parse_args(["--grain", "2"])


def test_a_registered_option_is_a_checked_config_key(parser, tmp_path):
    path = tmp_path / "show.toml"
    path.write_text('style = "warm"\ngrain = 0.4\n')
    apply_config(parser, path, OPTIONS)
    assert run_settings(parser.parse_args([]), run_settings_class(OPTIONS)).grain == 0.4
    assert run_settings(parser.parse_args(["--grain", "0.1"]), run_settings_class(OPTIONS)).grain == 0.1  # flags win
    path.write_text('style = "warm"\ngrain = 1.5\n')
    with pytest.raises(UserError, match=f"bad value for grain at {path}:2: must be between 0 and 1"):
        apply_config(parser, path, OPTIONS)
    path.write_text('grain = "thick"\n')
    with pytest.raises(UserError, match="bad value for grain"):
        apply_config(parser, path, OPTIONS)


def test_a_registered_option_is_a_run_settings_field_with_its_default():
    settings_class = run_settings_class(OPTIONS)
    assert settings_class().grain == 0.0 and settings_class(grain=0.5).grain == 0.5
    others = {name: value for name, value in dataclasses.asdict(settings_class()).items() if name != "grain"}
    assert others == dataclasses.asdict(RunSettings())
    assert settings_class().look() == RunSettings().look()  # the methods come along


def test_a_registered_option_is_a_checked_stylizer_keyword(style_dir, monkeypatch):
    with pytest.raises(TypeError, match="unexpected keyword argument 'grain'"):  # not declared: not a keyword
        api.Stylizer("warm", device="cpu", checkpoints=style_dir, grain=0.25)
    monkeypatch.setattr(api, "RunSettings", run_settings_class(OPTIONS))
    stylizer = api.Stylizer("warm", device="cpu", checkpoints=style_dir, grain=0.25)
    assert stylizer.settings.grain == 0.25 and stylizer.styles() == ["cool", "warm"]
    with pytest.raises(UserError, match=r"^grain must be between 0 and 1, not 3.0$"):
        api.Stylizer("warm", device="cpu", checkpoints=style_dir, grain=3.0)


def test_every_declaration_is_complete_and_the_api_signature_lists_them():
    names = [option.name for option in RUN_OPTIONS]
    assert len(names) == len(set(names))
    assert all(option.help and option.flag.startswith("--") for option in RUN_OPTIONS)
    keywords = inspect.signature(api.Stylizer).parameters
    assert {"strength", "mask_feather", "stroke_scale", "background", "checkpoints"} <= set(keywords)
    assert keywords["strength"].default == 1.0 and "max_frames" not in keywords  # max_frames is not for the API


@pytest.mark.parametrize("keywords, message", [({"mix": 1.5}, r"^mix must be between 0 and 1, not 1.5$"),
                                               ({"stroke_scale": 9.0}, r"^stroke_scale must be between 0.25 and 4, not 9.0$"),
                                               ({"upsample": "cubic"}, r"^upsample 'cubic': use one of bilinear, guided"),
                                               ({"size": "big"}, r"^size 'big': size must look like 640x360")])
def test_stylizer_keywords_are_checked_as_their_options_are(keywords, message):
    with pytest.raises(UserError, match=message):
        api.Stylizer("warm", device="cpu", **keywords)


def test_bench_configurations_are_built_by_field_name():
    from realtime.measure.bench import BenchConfig, configs_from

    configs = configs_from(device=["cpu"], model=["fast"], size=[(320, 180)], record=[False, True])
    assert configs == [BenchConfig("cpu", "fast", (320, 180)), BenchConfig("cpu", "fast", (320, 180), record=True)]
