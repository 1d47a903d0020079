"""The user's config file (TOML), read once per process; each domain reads its own table.

The file is hand-written by the user, so it is only ever read here, never rewritten
(tomli-w would drop its comments); generated files live under the state dir.

Values are read through :func:`table` and its typed getters, which refuse a value of the
wrong type with the file and line (``config.toml:4: [linear] timeout must be a number of
seconds, not "fast"``): a typo never turns into a traceback, and ``keep_agents = "no"`` is
never read as true. ``section(name)`` still gives a table's raw dict.
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from workflows.base.errors import UsageError
from workflows.base.paths import config_file
from workflows.base.toml_lines import table_key_lines

T = TypeVar("T")
_MISSING: Any = object()


class ConfigError(UsageError):
    """A config value is malformed; the message names the file, the line and the fix."""


@cache
def load_config() -> dict[str, Any]:
    path = config_file()
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        where = f"byte {error.start}"
        raise ConfigError(f"{path}: not UTF-8 text ({error.reason} at {where})") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read ({error.strerror})") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: {error}") from error


def _key_lines() -> dict[tuple[str, ...], dict[str, int]]:
    """Where each key sits (read again only to word an error: tomllib keeps no lines)."""
    try:
        return table_key_lines(config_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def section(name: str) -> dict[str, Any]:
    """One top-level table of the config (``[linear]``, ``[tui]``…), empty when absent."""
    return table(name).values


def table(*names: str) -> ConfigTable:
    """The table ``[a.b.c]`` of the config (empty when absent), with typed getters."""
    values: Any = load_config()
    for depth, name in enumerate(names):
        values = values.get(name, {})
        if not isinstance(values, dict):
            where = ConfigTable(names[:depth], {}).where(name)
            raise ConfigError(f"{where}: [{'.'.join(names[: depth + 1])}] must be a table")
    return ConfigTable(tuple(names), values)


def _shown(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f'"{value}"'
    return text if len(text) <= 60 else text[:59] + "…"


@dataclass(frozen=True)
class ConfigTable:
    """A table of config.toml whose getters check types and name ``file:line`` on errors."""

    names: tuple[str, ...]
    values: dict[str, Any]

    @property
    def title(self) -> str:
        return f"[{'.'.join(self.names)}]" if self.names else "top level"

    def where(self, key: str | None = None) -> str:
        lines = _key_lines().get(self.names, {})
        line = lines.get(key, lines.get("", 0)) if key else lines.get("", 0)
        return f"{config_file()}:{line}" if line else str(config_file())

    def error(self, key: str, wanted: str) -> ConfigError:
        shown = _shown(self.values[key])
        return ConfigError(f"{self.where(key)}: {self.title} {key} must be {wanted}, not {shown}")

    def __contains__(self, key: str) -> bool:
        return key in self.values

    def keys(self) -> list[str]:
        return list(self.values)

    def check_known(self, known: typing.Iterable[str]) -> None:
        allowed = set(known)
        for key in self.values:
            if key not in allowed:
                raise ConfigError(
                    f"{self.where(key)}: {self.title} has an unknown key {key!r}; "
                    f"known: {', '.join(sorted(allowed))}"
                )

    def sub(self, name: str) -> ConfigTable:
        return table(*self.names, name)

    def get_str(self, key: str, default: T = None) -> str | T:  # type: ignore[assignment]
        value = self.values.get(key, _MISSING)
        if value is _MISSING:
            return default
        if not isinstance(value, str):
            raise self.error(key, "a string")
        return value

    def get_path(self, key: str) -> Path | None:
        value = self.get_str(key)
        return Path(value).expanduser() if value else None

    def get_bool(self, key: str, default: bool) -> bool:
        value = self.values.get(key, default)
        if not isinstance(value, bool):
            raise self.error(key, "true or false")
        return value

    def get_float(self, key: str, default: float, *, minimum: float | None = None) -> float:
        value = self.values.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(key, "a number")
        if minimum is not None and value < minimum:
            raise self.error(key, f"a number ≥ {minimum:g}")
        return float(value)

    def get_int(self, key: str, default: int, *, minimum: int | None = None) -> int:
        value = self.values.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, "a whole number")
        if minimum is not None and value < minimum:
            raise self.error(key, f"a whole number ≥ {minimum}")
        return value

    def get_str_list(self, key: str, default: list[str] | None = None) -> list[str]:
        value = self.values.get(key, _MISSING)
        if value is _MISSING:
            return list(default or [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            example = f'["{value}"]' if isinstance(value, str) else '["…"]'
            raise self.error(key, f"a list of strings (like {example})")
        return list(value)

    def fill(self, cls: type[T], *, exclude: typing.Iterable[str] = ()) -> dict[str, Any]:
        """The table's values for the dataclass ``cls``, each checked against its field's
        annotation (str, bool, int, float, list[str], optional ones); unknown keys refused."""
        hints = typing.get_type_hints(cls)
        names = {f.name for f in dataclasses.fields(cls)} - set(exclude)  # type: ignore[arg-type]
        self.check_known(names)
        return {key: self._typed(key, hints[key]) for key in self.values}

    def _typed(self, key: str, hint: Any) -> Any:
        options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
        kinds = [option for option in options if option is not type(None)]
        kind = kinds[0] if len(kinds) == 1 else None
        if kind is bool:
            return self.get_bool(key, False)
        if kind is int:
            return self.get_int(key, 0)
        if kind is float:
            return self.get_float(key, 0.0)
        if kind is str:
            return self.get_str(key)
        if typing.get_origin(kind) is list and typing.get_args(kind) == (str,):
            return self.get_str_list(key)
        return self.values[key]
