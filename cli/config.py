"""Reading the configuration, once, at the edge.

Sources, later ones winning: built-in defaults, the TOML file
(``$PERMANENCE_CONFIG`` or ``<data dir>/permanence.toml``), environment
variables ``PERMANENCE_<NAME>``, then command-line options. The result is one
frozen :class:`vault.settings.Settings` passed down; nothing below ``cli``
reads the environment.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from crypto.secret import Secret
from vault.errors import ConfigError, DataDirError
from vault.settings import (
    BlobStoreSettings,
    DataLayout,
    Settings,
    SmsSettings,
    SmtpSettings,
    WebhookSettings,
)
from vault.storage.store import parse_key

PREFIX = "PERMANENCE_"
# The settings read from a table of their own: ``[smtp]``, or ``PERMANENCE_SMTP_HOST``.
SECTIONS: dict[str, type] = {
    "smtp": SmtpSettings,
    "sms": SmsSettings,
    "webhook": WebhookSettings,
    "blob_store": BlobStoreSettings,
}
_SKIP = {"data_dir", "db_key", *SECTIONS}


def _boolean(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ValueError(text)


def _words(name: str, raw: Any) -> tuple[str, ...]:
    """A TOML list of strings, or a comma-separated environment variable."""
    items = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise TypeError(name)
    return tuple(i.strip() for i in items if i.strip())


def _convert(name: str, raw: Any, kind: type) -> Any:
    try:
        if kind is bool:
            return _boolean(raw)
        if kind is int:
            if isinstance(raw, bool):
                raise TypeError(name)
            return int(raw)
        if kind is tuple:
            return _words(name, raw)
        if kind is Secret:
            return Secret(str(raw).encode())
        if isinstance(raw, dict | list):
            raise TypeError(name)
        return str(raw)
    except (ValueError, TypeError):
        raise ConfigError(f"setting {name} has an invalid value") from None


def _types(cls: type) -> dict[str, type]:
    hints = {"int": int, "bool": bool, "str": str, "Secret": Secret, "tuple[str, ...]": tuple}
    return {f.name: hints.get(str(f.type), str) for f in dataclasses.fields(cls) if f.init}


def _read_file(path: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The settings and the tables (``[smtp]``, ``[sms]``, ``[webhook]``, ``[blob_store]``)
    of a TOML file, refused whole when malformed."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"the configuration file {path} is not valid TOML: {e}") from None
    if "db_key" in document or "data_dir" in document:
        raise ConfigError(
            f"{path}: data_dir and db_key are not read from the configuration file;"
            " use --data-dir / PERMANENCE_DATA_DIR and the key file or PERMANENCE_DB_KEY"
        )
    sections: dict[str, dict[str, Any]] = {}
    for name in SECTIONS:
        section = document.pop(name, {}) or {}
        if not isinstance(section, dict):
            raise ConfigError(f"{path}: [{name}] must be a table")
        sections[name] = section
    return document, sections


def _sections_from_environ(environ: Mapping[str, str], sections: dict[str, dict[str, Any]]) -> None:
    """``PERMANENCE_SMTP_HOST`` and the like, over what the file said."""
    for section_name, cls in SECTIONS.items():
        for name in _types(cls):
            env_name = f"{PREFIX}{section_name.upper()}_{name.upper()}"
            if env_name in environ:
                sections[section_name][name] = environ[env_name]


def _build_sections(sections: dict[str, dict[str, Any]]) -> dict[str, Any]:
    built: dict[str, Any] = {}
    for section_name, cls in SECTIONS.items():
        section_types = _types(cls)
        given = sections[section_name]
        unknown = set(given) - set(section_types)
        if unknown:
            raise ConfigError(f"unknown {section_name} setting(s): {', '.join(sorted(unknown))}")
        built[section_name] = cls(**{k: _convert(k, v, section_types[k]) for k, v in given.items()})
    return built


def load_settings(
    environ: Mapping[str, str],
    *,
    data_dir: str | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Build the settings from the environment, the optional TOML file and overrides."""
    root = Path(data_dir or environ.get(PREFIX + "DATA_DIR") or "data").expanduser().absolute()
    values: dict[str, Any] = {}
    sections: dict[str, dict[str, Any]] = {name: {} for name in SECTIONS}

    config_path = environ.get(PREFIX + "CONFIG")
    path = Path(config_path) if config_path else DataLayout(root).config_file
    if path.exists():
        file_values, file_sections = _read_file(path)
        values.update(file_values)
        for name, section in file_sections.items():
            sections[name].update(section)
    elif config_path:
        raise ConfigError(f"the configuration file {path} does not exist")

    types = _types(Settings)
    for name in types:
        if name not in _SKIP and PREFIX + name.upper() in environ:
            values[name] = environ[PREFIX + name.upper()]
    _sections_from_environ(environ, sections)
    values.update(overrides or {})

    unknown = set(values) - set(types) - set(SECTIONS)
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    kwargs = {k: _convert(k, v, types[k]) for k, v in values.items() if k not in _SKIP}
    kwargs.update(_build_sections(sections))
    if PREFIX + "DB_KEY" in environ:
        try:
            kwargs["db_key"] = parse_key(environ[PREFIX + "DB_KEY"].strip(), PREFIX + "DB_KEY")
        except DataDirError as e:
            raise ConfigError(str(e)) from None
    if "base_url" not in kwargs and ("host" in kwargs or "port" in kwargs):
        host = kwargs.get("host", "127.0.0.1")
        kwargs["base_url"] = f"http://{host}:{kwargs.get('port', 8000)}"
    return Settings(data_dir=root, **kwargs)
