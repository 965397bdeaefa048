"""Form templates (docs/format.md §10, type ``0x06``) and form item bodies (§5, kind ``0x04``).

Pure readers of decrypted bodies, the Python twin of ``web/static/js/app/forms/template.js``
and ``view.js``: a template document is read defensively (what is invalid is left out, a
missing key is empty), a form body must name its template and version (else
``DecryptionFailed``, like an extract's manifest). Nothing here re-validates values: a form
is shown as it was signed.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from crypto.errors import DecryptionFailed

FIELD_TYPES = ("text", "number", "money", "date", "time", "choice", "yes_no", "table")
ORIGINS = ("appointment", "order", "record")
FIELD_ID = re.compile(r"[a-z0-9_-]{1,64}")
MAX_INTEGER = 2**53 - 1


@dataclass(frozen=True, slots=True)
class FormField:
    id: str
    label: str
    type: str
    required: bool
    help: str
    choices: tuple[str, ...]
    columns: tuple[FormField, ...]


@dataclass(frozen=True, slots=True)
class TemplateVersion:
    version: int
    name: str
    description: str
    fields: tuple[FormField, ...]


@dataclass(frozen=True, slots=True)
class FormTemplate:
    id: str
    origin: str
    archived: bool
    versions: tuple[TemplateVersion, ...]

    @property
    def latest(self) -> TemplateVersion:
        return max(self.versions, key=lambda v: v.version)

    def version(self, number: int) -> TemplateVersion | None:
        """Version ``number``, or None (a form naming a version this document lacks)."""
        return next((v for v in self.versions if v.version == number), None)


@dataclass(frozen=True, slots=True)
class FormBody:
    template_id: str
    template_version: int
    template_name: str
    values: Mapping[str, Any]


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _list(value: object) -> Sequence[Any]:
    return value if isinstance(value, list) else []


def _object(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _integer(value: object) -> int | None:
    """A JSON integer (not a boolean, not 3.0) within +-(2^53 - 1), else None."""
    if type(value) is not int or abs(value) > MAX_INTEGER:
        return None
    return value


def _is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


def _field(raw: object, in_table: bool) -> FormField:
    f = _object(raw)
    kind = f.get("type")
    kind = kind if kind in FIELD_TYPES else "text"
    if in_table and kind == "table":
        kind = "text"
    return FormField(
        id=_text(f.get("id")),
        label=_text(f.get("label")),
        type=kind,
        required=f.get("required") is True,
        help=_text(f.get("help")),
        choices=tuple(c for c in _list(f.get("choices")) if isinstance(c, str))
        if kind == "choice"
        else (),
        columns=_fields(f.get("columns"), True) if kind == "table" else (),
    )


def _fields(raw: object, in_table: bool) -> tuple[FormField, ...]:
    out: list[FormField] = []
    seen: set[str] = set()
    for item in _list(raw):
        field = _field(item, in_table)
        if FIELD_ID.fullmatch(field.id) and field.id not in seen:
            seen.add(field.id)
            out.append(field)
    return tuple(out)


def parse_templates(body: Mapping[str, Any]) -> tuple[FormTemplate, ...]:
    """The templates of a ``0x06`` body, read as ``normaliseTemplates`` reads them."""
    out: list[FormTemplate] = []
    seen: set[str] = set()
    for raw in _list(body.get("templates")):
        t = _object(raw)
        template_id = t.get("id")
        if not isinstance(template_id, str) or not _is_uuid(template_id) or template_id in seen:
            continue
        versions: list[TemplateVersion] = []
        numbers: set[int] = set()
        for raw_version in _list(t.get("versions")):
            v = _object(raw_version)
            number = _integer(v.get("version"))
            if number is None or number < 1 or number in numbers:
                continue
            numbers.add(number)
            versions.append(
                TemplateVersion(
                    number,
                    _text(v.get("name")),
                    _text(v.get("description")),
                    _fields(v.get("fields"), False),
                )
            )
        if not versions:
            continue
        seen.add(template_id)
        origin = t.get("origin")
        out.append(
            FormTemplate(
                id=template_id,
                origin=origin if origin in ORIGINS else "",
                archived=t.get("archived") is True,
                versions=tuple(versions),
            )
        )
    return tuple(out)


def parse_form_body(body: Mapping[str, Any]) -> FormBody:
    """A form item's body: ``template_id`` (a UUID) and ``template_version`` (an integer
    ≥ 1) are required, else ``DecryptionFailed``; ``template_name`` and ``values`` are read
    as empty when missing or mistyped."""
    template_id = body.get("template_id")
    version = _integer(body.get("template_version"))
    if not isinstance(template_id, str) or version is None or version < 1:
        raise DecryptionFailed
    return FormBody(
        template_id=template_id,
        template_version=version,
        template_name=_text(body.get("template_name")),
        values=_object(body.get("values")),
    )


def fallback_version(form: FormBody) -> TemplateVersion:
    """A version made of the body's own keys (labels are the field ids), when the template
    version the form names cannot be found."""
    fields: list[FormField] = []
    for key, value in form.values.items():
        if isinstance(value, list):
            names = dict.fromkeys(k for row in value for k in _object(row))
            columns = tuple(FormField(c, c, "text", False, "", (), ()) for c in names)
            fields.append(FormField(key, key, "table", False, "", (), columns))
        else:
            fields.append(FormField(key, key, "text", False, "", (), ()))
    return TemplateVersion(form.template_version, form.template_name, "", tuple(fields))


def resolve(form: FormBody, templates: Sequence[FormTemplate]) -> tuple[TemplateVersion, bool]:
    """The version the form names (True), or the fallback of its own keys (False)."""
    template = next((t for t in templates if t.id == form.template_id), None)
    version = template.version(form.template_version) if template else None
    return (version, True) if version else (fallback_version(form), False)


def cell_text(value: object) -> str:
    """A scalar value as text: a string as it is, anything else as its JSON-ish text."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
