"""The last values of a buyer's formulas, kept across an openpyxl save.

Excel and LibreOffice save each formula with the value it last computed, and that value is
what the sync reads. openpyxl writes formulas without it, so a save of ours would leave
`=DATE(2026,4,24)` with no value until someone opens the file in a spreadsheet program,
and the next sync would read the cell as blank. The value is not frozen: it is copied
from the bytes we read and are replacing, so when the buyer's program recomputes the
formula and saves, the next sync reads the new value.
"""

from __future__ import annotations

import io
import posixpath
import re
from collections.abc import Mapping
from xml.etree import ElementTree
from xml.sax.saxutils import escape
from zipfile import ZIP_DEFLATED, ZipFile

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PACKAGE_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"

Cached = dict[str, dict[str, tuple[str, str]]]  # sheet title -> cell -> (t attribute, value)


def sheet_parts(archive: ZipFile) -> dict[str, str]:
    """Sheet title -> the zip entry holding its cells."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{PACKAGE_REL}Relationship")}
    parts: dict[str, str] = {}
    for sheet in workbook.iter(f"{MAIN}sheet"):
        target = targets.get(sheet.get(f"{REL}id"), "")
        if target:
            path = target[1:] if target.startswith("/") else posixpath.join("xl", target)
            parts[sheet.get("name", "")] = posixpath.normpath(path)
    return parts


_FORMULA = re.compile(rb"<(?:\w+:)?f[ >/]")


def has_formulas(data: bytes) -> bool:
    """Whether any sheet of the package holds a formula (a cheap look before a full read)."""
    with ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        parts = [p for p in sheet_parts(archive).values() if p in names]
        return any(_FORMULA.search(archive.read(p)) for p in parts)


def cached_values(data: bytes) -> Cached:
    """Every formula cell that holds a last value, by sheet title and cell."""
    out: Cached = {}
    with ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        for title, part in sheet_parts(archive).items():
            if part not in names:
                continue
            xml = archive.read(part)
            if not _FORMULA.search(xml):
                continue
            found = _formula_values(xml)
            if found:
                out[title] = found
    return out


def _formula_values(xml: bytes) -> dict[str, tuple[str, str]]:
    values: dict[str, tuple[str, str]] = {}
    for _, element in ElementTree.iterparse(io.BytesIO(xml)):
        if element.tag != f"{MAIN}c":
            continue
        formula, value = element.find(f"{MAIN}f"), element.find(f"{MAIN}v")
        if formula is not None and value is not None and value.text is not None:
            values[element.get("r", "")] = (element.get("t", ""), value.text)
        element.clear()
    return values


# openpyxl writes a formula cell as <c r="F5" s="3"><f>…</f><v /></c>, or with lxml
# installed (zeep, a simple-salesforce dependency, brings it) as …<v></v></c>.
_FORMULA_CELL = re.compile(
    rb'<c r="([A-Z]+[0-9]+)"((?: s="[0-9]+")?)>(<f[^>]*>.*?</f>)(?:<v ?/>|<v></v>)</c>'
)


def restore_cached(saved: bytes, cached: Mapping[str, Mapping[str, tuple[str, str]]]) -> bytes:
    """`saved` (an openpyxl save) with the formula values from `cached` put back."""
    if not cached:
        return saved
    source = ZipFile(io.BytesIO(saved))
    parts = {part: cached[title] for title, part in sheet_parts(source).items() if title in cached}
    out = io.BytesIO()
    with source, ZipFile(out, "w", ZIP_DEFLATED, allowZip64=True) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename in parts:
                data = _put_values(data, parts[info.filename])
            target.writestr(info, data)
    return out.getvalue()


def _put_values(xml: bytes, values: Mapping[str, tuple[str, str]]) -> bytes:
    def fill(m: re.Match[bytes]) -> bytes:
        ref = m[1].decode()
        if ref not in values:
            return m[0]
        kind, value = values[ref]
        t = f' t="{kind}"'.encode() if kind else b""
        return b'<c r="%s"%s%s>%s<v>%s</v></c>' % (m[1], m[2], t, m[3], escape(value).encode())

    return _FORMULA_CELL.sub(fill, xml)
