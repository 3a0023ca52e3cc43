"""Formulas parsed in the spreadsheet's locale, as Sheets parses them.

A formula (CellData.userEnteredValue.formulaValue, or a USER_ENTERED "=...") is read in the
spreadsheet's locale at the time it is written (SpreadsheetProperties.locale: "The locale
of the spreadsheet ... This affects formatting and formula parsing"; Sheets Help "Change
the locale": in a locale whose decimal separator is a comma, formulas separate function
arguments with ";" and array-literal columns with "\\"). A formula written with "," between
arguments in such a locale does not parse: the cell shows #ERROR! (reported against the API
in google-api-nodejs-client#1994 for tr_TR; GOOGLE.md). Function names stay English.

`parse` answers the formula rewritten in en_US syntax (so the fake can evaluate one shape
whatever the locale), or None when Sheets would not parse it. UNCONFIRMED: ";" and "\\"
refused in dot-decimal locales, and the list of comma-decimal locales (assumptions.py
"formula separators").
"""

from __future__ import annotations

# Languages whose locales write decimals with a comma; a few regions of them do not.
_COMMA_LANGUAGES = frozenset(
    [
        "de",
        "fr",
        "pt",
        "es",
        "it",
        "nl",
        "ru",
        "pl",
        "tr",
        "id",
        "sv",
        "da",
        "nb",
        "fi",
        "cs",
        "uk",
        "el",
        "hu",
        "ro",
    ]
)
_DOT_REGIONS = frozenset({"es_MX", "es_US", "de_CH", "it_CH", "fr_CH"})


def comma_decimal(locale: str) -> bool:
    """Whether the locale writes 1,5 for one and a half (so ';' separates arguments)."""
    return locale.split("_")[0] in _COMMA_LANGUAGES and locale not in _DOT_REGIONS


def parse(formula: str, locale: str) -> str | None:
    """The formula in en_US syntax, or None for a parse error in `locale`."""
    if not formula.startswith("="):
        return None
    comma = comma_decimal(locale)
    out: list[str] = []
    stack: list[str] = []
    closing = {")": "(", "}": "{"}
    i, text = 0, formula
    while i < len(text):
        ch = text[i]
        if ch == '"':  # a string literal, "" inside it being one quote
            end = i + 1
            while end < len(text) and (text[end] != '"' or text[end : end + 2] == '""'):
                end += 2 if text[end : end + 2] == '""' else 1
            if end >= len(text):
                return None
            out.append(text[i : end + 1])
            i = end + 1
            continue
        inner = stack[-1] if stack else ""
        if ch in "({":
            stack.append(ch)
        elif ch in ")}":
            if not stack or stack.pop() != closing[ch]:
                return None
        elif ch in ",;\\":
            mapped = _separator(ch, inner, comma, text, i)
            if mapped is None:
                return None
            ch = mapped
        out.append(ch)
        i += 1
    return "".join(out) if not stack else None


def _separator(ch: str, inner: str, comma: bool, text: str, i: int) -> str | None:
    """What a separator means where it stands, in en_US syntax; None if it is an error."""
    between_digits = 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit()
    if comma:
        if ch == "," and between_digits:
            return "."  # a decimal comma
        if ch == ";" and inner in "({" and inner:
            return "," if inner == "(" else ";"
        if ch == "\\" and inner == "{":
            return ","
        return None
    if ch == "," and inner:
        return ","
    if ch == ";" and inner == "{":
        return ";"
    return None
