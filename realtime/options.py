"""One declaration per option: `Option` says an option's name, type, default, choices, help and where it
applies, and the builders here make from a tuple of them what each place needs (realtime/settings.py's
RUN_OPTIONS is `realtime run`'s):

- settings_class(): the settings dataclass, a field per option (RunSettings);
- add_arguments(): the command line's options, in their --help groups (cli/run_options.py);
- config_defaults(): a TOML config file's values, checked as the command line checks them;
- keyword_values(), keyword_signature(): the Python API's keywords (api.Stylizer).

Plain Python: nothing here may import torch, OpenCV or PyAV (`--help` must start at once).
"""
from __future__ import annotations

import argparse
import copy
import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, make_dataclass, replace
from typing import Any

from realtime.errors import UserError

# Where an option applies: the command line, a config file (`--config`), the settings dataclass, the Python API.
CLI, CONFIG, SETTINGS, API = "cli", "config", "settings", "api"
RUN = frozenset({CLI, CONFIG, SETTINGS})  # most options: given on the command line or in a config file
RUN_AND_API = RUN | {API}  # and a keyword of the Python API (how a picture looks)
COMMAND_ONLY = frozenset({CLI, CONFIG})  # what the command does besides the run (--list-styles); no setting


@dataclass(frozen=True)
class Option:
    """An option as every place that takes it needs it; the builders below read nothing else."""

    flag: str  # the long option, "--style-strength"; a config file's key is the same without "--"
    type: Any  # the value's Python type: the settings field's annotation
    default: Any
    help: str  # "{default}" in it shows the default
    name: str = ""  # the settings field, the API keyword and argparse's dest; "": from the flag (--max-frames: max_frames)
    group: str | None = None  # the --help section (section() sets it); None: the parser's own options
    parse: Callable[[str], Any] | None = None  # text (command line, config file, API) -> value; None: the text itself
    choices: tuple | None = None
    metavar: str | None = None
    action: str | None = None  # "store_true", "store_false" (--no-display), "yes_no" (--fragmented/--no-fragmented)
    into: str | None = None  # "mask.threshold": a part of a field made of several options (settings_class's parts)
    build: Callable[[Any], Any] | None = None  # the option's value -> the field's (--background's text -> Background)
    none_until_given: bool = False  # the command line keeps None when it is not given, so a check can tell (--mix)
    where: frozenset[str] = RUN

    def __post_init__(self) -> None:
        if not self.name:  # frozen: set once, here
            object.__setattr__(self, "name", self.flag.removeprefix("--no-").removeprefix("--").replace("-", "_"))

    def help_text(self) -> str:
        shown = f"{self.default:g}" if isinstance(self.default, float) else self.default
        return self.help.format(default=shown)

    def keys(self) -> tuple[str, ...]:
        """The config file's keys for it (without the leading dashes)."""
        key = self.flag.removeprefix("--")
        return (key, f"no-{key}") if self.action == "yes_no" else (key,)


def section(title: str, *options: Option) -> tuple[Option, ...]:
    """Options under one --help heading."""
    return tuple(replace(option, group=title) for option in options)


def in_place(options: Sequence[Option], place: str) -> list[Option]:
    return [option for option in options if place in option.where]


# The settings dataclass ---------------------------------------------------------------------------------------

def settings_class(name: str, options: Sequence[Option], parts: Mapping[str, type], namespace: dict) -> type:
    """A dataclass with a field per option that applies to SETTINGS, in their order; the first option with
    into="PART.NAME" puts the field PART there instead (parts: PART -> its class, like "mask": MaskSettings).
    namespace: its methods. It keeps its declarations (OPTIONS, PARTS); from_options() builds it."""
    defaults = {option.name: option.default for option in options}
    fields: dict[str, tuple[str, Any, Any]] = {}
    for option in in_place(options, SETTINGS):
        if option.into is None:
            annotation = getattr(option.build, "__annotations__", {}).get("return", option.type)
            value = option.build(option.default) if option.build else option.default
            fields[option.name] = (option.name, annotation, _default(value))
        else:
            part = option.into.split(".")[0]
            made = field(default_factory=lambda part=part: _parts(options, parts, defaults)[part])
            fields.setdefault(part, (part, parts[part], made))
    namespace = {**namespace, "OPTIONS": tuple(options), "PARTS": dict(parts), "from_options": classmethod(_from_options)}
    return make_dataclass(name, fields.values(), namespace=namespace)


def _default(value: Any) -> Any:
    """A dataclass default; a mutable one (a list: unhashable, as dataclasses judges it) is copied for each instance."""
    if type(value).__hash__ is None:
        return field(default_factory=lambda: copy.copy(value))
    return field(default=value)


def _parts(options: Sequence[Option], parts: Mapping[str, type], values: Mapping[str, Any]) -> dict[str, Any]:
    """The fields made of several options (MaskSettings from --mask-threshold ...), from the options' values."""
    given: dict[str, dict[str, Any]] = {part: {} for part in parts}
    for option in in_place(options, SETTINGS):
        if option.into is not None:
            part, attribute = option.into.split(".")
            given[part][attribute] = values[option.name]
    return {part: cls(**given[part]) for part, cls in parts.items()}


def _from_options(cls: type, values: Mapping[str, Any]) -> Any:
    """The settings from every option's value by its name (vars() of the parsed command line); a missing
    one is a KeyError, not a silent default."""
    plain = {}
    for option in in_place(cls.OPTIONS, SETTINGS):
        value = values[option.name]
        if value is None and option.none_until_given:
            value = option.default
        if option.into is None:
            plain[option.name] = option.build(value) if option.build else value
    return cls(**plain, **_parts(cls.OPTIONS, cls.PARTS, values))


# The command line and the config file ------------------------------------------------------------------------

def add_arguments(parser: argparse.ArgumentParser, options: Sequence[Option]) -> None:
    """An argparse option per declaration that applies to CLI, in argument groups made in the order the groups
    first appear."""
    groups: dict[str | None, Any] = {None: parser}
    for option in in_place(options, CLI):
        if option.group not in groups:
            groups[option.group] = parser.add_argument_group(option.group)
        groups[option.group].add_argument(option.flag, **argparse_keywords(option))


def argparse_keywords(option: Option) -> dict[str, Any]:
    keywords: dict[str, Any] = {"dest": option.name, "help": option.help_text()}
    if option.action == "yes_no":
        return {**keywords, "action": argparse.BooleanOptionalAction, "default": option.default}
    if option.action is not None:  # store_true, store_false: their default is the other one
        return {**keywords, "action": option.action}
    default = None if option.none_until_given else copy.copy(option.default)  # a list default is the parser's own
    return {**keywords, "type": option.parse, "default": default, "choices": option.choices, "metavar": option.metavar}


def config_defaults(values: Mapping[str, Any], options: Sequence[Option], where: Callable[[str], str]) -> dict[str, Any]:
    """The dests and values a config file's keys set (long option names, "-" or "_"), checked as the command
    line checks them; where(key) says the file and line for the error."""
    by_key = {key: option for option in in_place(options, CONFIG) for key in option.keys()}
    defaults = {}
    for key, value in values.items():
        option = by_key.get(key.replace("_", "-"))
        if option is None:
            raise UserError(f"unknown key {key!r} at {where(key)}; keys are the long options of 'realtime run --help'")
        if option.action is not None:  # an on/off flag
            if not isinstance(value, bool):
                raise UserError(f"{key} at {where(key)} must be true or false, not {value!r}")
            negated = option.action == "store_false" or (option.action == "yes_no" and key.replace("_", "-").startswith("no-"))
            defaults[option.name] = value != negated
            continue
        defaults[option.name] = config_value(option, key, value, where)
    return defaults


def config_value(option: Option, key: str, value: Any, where: Callable[[str], str]) -> Any:
    if option.parse is None and not isinstance(value, str):
        raise UserError(f"{key} at {where(key)} must be text in quotes, not {value!r}")
    if isinstance(value, (dict, list, bool)):
        raise UserError(f"{key} at {where(key)} must be a single value, not {value!r}")
    try:
        converted = option.parse(str(value)) if option.parse else value
    except (argparse.ArgumentTypeError, ValueError) as exc:
        raise UserError(f"bad value for {key} at {where(key)}: {exc}") from None
    if option.choices and converted not in option.choices:
        raise UserError(f"bad value for {key} at {where(key)}: {value!r}; choose from {', '.join(option.choices)}")
    return converted


# The Python API -------------------------------------------------------------------------------------------------

def keyword_values(options: Sequence[Option], given: Mapping[str, Any], caller: str) -> dict[str, Any]:
    """Every API option's value: given's (checked as the command line checks the option, in one line that names
    the keyword), else the default. A keyword that is no API option is a TypeError, as Python's own."""
    api = {option.name: option for option in in_place(options, API)}
    for name in given:
        if name not in api:
            raise TypeError(f"{caller}() got an unexpected keyword argument {name!r}")
    return {name: keyword_value(option, given[name]) if name in given else option.default for name, option in api.items()}


def keyword_value(option: Option, value: Any) -> Any:
    """Text is read as the command line reads it; a number is checked as its text would be (the same ranges)."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    try:
        if isinstance(value, str) and option.parse is not None:
            value = option.parse(value)
        elif number and option.parse is not None:
            option.parse(str(value))
    except (argparse.ArgumentTypeError, ValueError) as exc:
        raise UserError(f"{option.name} {exc}" if number else f"{option.name} {value!r}: {exc}") from None
    if option.choices is not None and value not in option.choices:
        raise UserError(f"{option.name} {value!r}: use one of {', '.join(option.choices)}")
    return value


def keyword_signature(function: Callable, options: Sequence[Option]) -> inspect.Signature:
    """function's signature with the API options as keyword-only parameters after its own (help(), IDEs)."""
    signature = inspect.signature(function)
    own = [parameter for parameter in signature.parameters.values() if parameter.kind != parameter.VAR_KEYWORD]
    api = [inspect.Parameter(option.name, inspect.Parameter.KEYWORD_ONLY, default=option.default, annotation=option.type)
           for option in in_place(options, API)]
    return signature.replace(parameters=[*own, *api])


def keyword_list(options: Sequence[Option]) -> str:
    """The API keywords with their defaults, for a docstring."""
    return ", ".join(f"{option.name}={option.default!r}" for option in in_place(options, API))
