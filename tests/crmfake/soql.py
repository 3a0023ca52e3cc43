"""A SOQL subset for the Salesforce fake, and the small formula language its validation
rules use.

SOQL reference: https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select.htm
What is parsed: SELECT a field list (relationship paths such as Owner.Email included), FROM
one object, WHERE with AND/OR/NOT and parentheses, = != <> < <= > >=, IN (...), NOT IN (...),
LIKE (% and _ wildcards), string/number/boolean/null/date/datetime literals, ORDER BY
field [ASC|DESC] [NULLS FIRST|LAST], LIMIT n. Anything else is MALFORMED_QUERY.

Errors carry Salesforce's located form, as users report them verbatim (for example
https://github.com/n8n-io/n8n/issues/15264 and https://github.com/mautic/mautic/pull/13406):
"\\n<query line>\\n<caret>\\nERROR at Row:1:Column:11\\nNo such column 'x' on entity ..."
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Protocol

# ---------------------------------------------------------------------------- errors


class SoqlError(Exception):
    """A refusal in Salesforce's REST error shape: `errorCode` and `message`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def located(text: str, pos: int, message: str) -> str:
    """Salesforce's query error message: the offending line, a caret, row and column."""
    line_start = text.rfind("\n", 0, pos) + 1
    line_end = text.find("\n", pos)
    line = text[line_start : line_end if line_end >= 0 else len(text)]
    row = text.count("\n", 0, pos) + 1
    column = pos - line_start + 1
    return f"\n{line}\n{' ' * (column - 1)}^\nERROR at Row:{row}:Column:{column}\n{message}"


# -------------------------------------------------------------------------- tokenizer


@dataclass(frozen=True)
class Token:
    kind: str  # ident, string, number, date, datetime, op, punct, eof
    text: str
    pos: int
    value: Any = None


_SOQL_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2})
  | (?P<number>[+-]?\d+(?:\.\d+)?)
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<punct>[(),])
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    """,
    re.VERBOSE,
)

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def _unescape(body: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), body)


def parse_datetime(text: str) -> datetime:
    """A SOQL/REST datetime: 2026-03-01T10:00:00Z, ...+0000, ...+00:00, ....000+0000."""
    cleaned = text.replace("Z", "+00:00")
    cleaned = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", cleaned)
    found = datetime.fromisoformat(cleaned)
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def _tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _SOQL_TOKEN.match(text, pos)
        if not match:
            raise SoqlError(
                "MALFORMED_QUERY", located(text, pos, f"unexpected token: '{text[pos]}'")
            )
        kind = match.lastgroup or ""
        raw = match.group()
        if kind != "ws":
            value: Any = None
            if kind == "string":
                value = _unescape(raw[1:-1])
            elif kind == "number":
                value = float(raw) if "." in raw else int(raw)
            elif kind == "date":
                value = date.fromisoformat(raw)
            elif kind == "datetime":
                value = parse_datetime(raw)
            tokens.append(Token(kind, raw, pos, value))
        pos = match.end()
    tokens.append(Token("eof", "<EOF>", len(text)))
    return tokens


# ------------------------------------------------------------------------------ AST


@dataclass(frozen=True)
class FieldRef:
    path: tuple[str, ...]  # as written, e.g. ("Owner", "Email")
    pos: int


@dataclass(frozen=True)
class Literal:
    value: Any
    kind: str  # string, number, boolean, null, date, datetime
    pos: int


@dataclass(frozen=True)
class Comparison:
    field: FieldRef
    op: str  # = != < <= > >= LIKE IN NOT IN
    values: tuple[Literal, ...]


@dataclass(frozen=True)
class BoolOp:
    op: str  # AND, OR, NOT
    parts: tuple[Node, ...]


Node = Comparison | BoolOp


@dataclass(frozen=True)
class OrderBy:
    field: FieldRef
    descending: bool
    nulls_last: bool


@dataclass
class Query:
    text: str
    fields: list[FieldRef]
    sobject: str
    sobject_pos: int
    where: Node | None = None
    order: list[OrderBy] = field(default_factory=list)
    limit: int | None = None


_KEYWORDS = {
    "SELECT",
    "FROM",
    "WHERE",
    "AND",
    "OR",
    "NOT",
    "IN",
    "LIKE",
    "ORDER",
    "BY",
    "ASC",
    "DESC",
    "NULLS",
    "FIRST",
    "LAST",
    "LIMIT",
    "TRUE",
    "FALSE",
    "NULL",
}


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.at = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.at]

    def fail(self, token: Token | None = None) -> SoqlError:
        # ASSUMPTION (soql-messages): the token's quoting in "unexpected token: ..."
        token = token or self.tok
        shown = token.text if token.kind == "eof" else f"'{token.text}'"
        return SoqlError(
            "MALFORMED_QUERY", located(self.text, token.pos, f"unexpected token: {shown}")
        )

    def keyword(self, *words: str) -> bool:
        return self.tok.kind == "ident" and self.tok.text.upper() in words

    def expect_keyword(self, word: str) -> Token:
        if not self.keyword(word):
            raise self.fail()
        token = self.tok
        self.at += 1
        return token

    def expect_punct(self, char: str) -> None:
        if self.tok.kind != "punct" or self.tok.text != char:
            raise self.fail()
        self.at += 1

    def field_ref(self) -> FieldRef:
        token = self.tok
        if token.kind != "ident" or token.text.upper() in _KEYWORDS:
            raise self.fail()
        self.at += 1
        return FieldRef(tuple(token.text.split(".")), token.pos)

    def parse(self) -> Query:
        self.expect_keyword("SELECT")
        fields = [self.field_ref()]
        while self.tok.kind == "punct" and self.tok.text == ",":
            self.at += 1
            fields.append(self.field_ref())
        self.expect_keyword("FROM")
        obj = self.tok
        if obj.kind != "ident" or "." in obj.text or obj.text.upper() in _KEYWORDS:
            raise self.fail()
        self.at += 1
        query = Query(self.text, fields, obj.text, obj.pos)
        if self.keyword("WHERE"):
            self.at += 1
            query.where = self.or_expr()
        if self.keyword("ORDER"):
            self.at += 1
            self.expect_keyword("BY")
            query.order.append(self.order_item())
            while self.tok.kind == "punct" and self.tok.text == ",":
                self.at += 1
                query.order.append(self.order_item())
        if self.keyword("LIMIT"):
            self.at += 1
            if self.tok.kind != "number" or not isinstance(self.tok.value, int):
                raise self.fail()
            query.limit = self.tok.value
            self.at += 1
        if self.tok.kind != "eof":
            raise self.fail()
        return query

    def order_item(self) -> OrderBy:
        ref = self.field_ref()
        descending = False
        if self.keyword("ASC", "DESC"):
            descending = self.tok.text.upper() == "DESC"
            self.at += 1
        # SOQL: nulls come first in ascending order and last in descending, unless told.
        nulls_last = descending
        if self.keyword("NULLS"):
            self.at += 1
            if not self.keyword("FIRST", "LAST"):
                raise self.fail()
            nulls_last = self.tok.text.upper() == "LAST"
            self.at += 1
        return OrderBy(ref, descending, nulls_last)

    def or_expr(self) -> Node:
        parts = [self.and_expr()]
        while self.keyword("OR"):
            self.at += 1
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else BoolOp("OR", tuple(parts))

    def and_expr(self) -> Node:
        parts = [self.not_expr()]
        while self.keyword("AND"):
            self.at += 1
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else BoolOp("AND", tuple(parts))

    def not_expr(self) -> Node:
        if self.keyword("NOT"):
            self.at += 1
            return BoolOp("NOT", (self.not_expr(),))
        if self.tok.kind == "punct" and self.tok.text == "(":
            self.at += 1
            inner = self.or_expr()
            self.expect_punct(")")
            return inner
        return self.comparison()

    def literal(self) -> Literal:
        token = self.tok
        self.at += 1
        if token.kind in ("string", "number", "date", "datetime"):
            return Literal(token.value, token.kind, token.pos)
        if token.kind == "ident" and token.text.upper() in ("TRUE", "FALSE"):
            return Literal(token.text.upper() == "TRUE", "boolean", token.pos)
        if token.kind == "ident" and token.text.upper() == "NULL":
            return Literal(None, "null", token.pos)
        raise self.fail(token)

    def comparison(self) -> Comparison:
        ref = self.field_ref()
        if self.tok.kind == "op":
            op = "!=" if self.tok.text == "<>" else self.tok.text
            self.at += 1
            return Comparison(ref, op, (self.literal(),))
        if self.keyword("LIKE"):
            self.at += 1
            value = self.literal()
            if value.kind != "string":
                raise self.fail(self.tokens[self.at - 1])
            return Comparison(ref, "LIKE", (value,))
        op = "IN"
        if self.keyword("NOT"):
            self.at += 1
            op = "NOT IN"
        self.expect_keyword("IN")
        self.expect_punct("(")
        values = [self.literal()]
        while self.tok.kind == "punct" and self.tok.text == ",":
            self.at += 1
            values.append(self.literal())
        self.expect_punct(")")
        return Comparison(ref, op, tuple(values))


def parse(text: str) -> Query:
    """Parse a SOQL query; a syntax error raises SoqlError(MALFORMED_QUERY)."""
    return _Parser(text).parse()


# ------------------------------------------------------------------------- execution


class Schema(Protocol):
    """What the query engine needs from the org, as seen by the calling user."""

    def object_name(self, name: str) -> str | None:
        """The canonical name of a queryable object, or None."""

    def field_name(self, sobject: str, name: str) -> str | None:
        """The canonical name of a field the user may read, or None."""

    def field_type(self, sobject: str, name: str) -> str:
        """The describe type of a field (string, double, date, datetime, boolean, ...)."""

    def relationship(self, sobject: str, name: str) -> tuple[str, str, str] | None:
        """(canonical relationship name, foreign key field, target object) or None."""

    def rows(self, sobject: str) -> Sequence[dict[str, Any]]:
        """The object's live records."""

    def get(self, record_id: str) -> dict[str, Any] | None:
        """A live record by id."""

    def url(self, sobject: str, record_id: str) -> str:
        """The record's REST url (for `attributes.url`)."""


_UNKNOWN_COLUMN = (
    "No such column '{name}' on entity '{sobject}'. If you are attempting to use a custom "
    "field, be sure to append the '__c' after the custom field name. Please reference your "
    "WSDL or the describe call for the appropriate names."
)
_UNKNOWN_RELATIONSHIP = (
    "Didn't understand relationship '{name}' in field path. If you are attempting to use a "
    "custom relationship, be sure to append the '__r' after the custom relationship name. "
    "Please reference your WSDL or the describe call for the appropriate names."
)
_UNKNOWN_OBJECT = (
    "sObject type '{name}' is not supported. If you are attempting to use a custom object, "
    "be sure to append the '__c' after the entity name. Please reference your WSDL or the "
    "describe call for the appropriate names."
)


@dataclass(frozen=True)
class _Resolved:
    hops: tuple[tuple[str, str, str], ...]  # (relationship name, fk field, target object)
    leaf: str
    leaf_type: str


def _resolve(schema: Schema, query: Query, sobject: str, ref: FieldRef) -> _Resolved:
    hops: list[tuple[str, str, str]] = []
    current = sobject
    for part in ref.path[:-1]:
        found = schema.relationship(current, part)
        if found is None:
            raise SoqlError(
                "INVALID_FIELD",
                located(query.text, ref.pos, _UNKNOWN_RELATIONSHIP.format(name=part)),
            )
        hops.append(found)
        current = found[2]
    leaf = schema.field_name(current, ref.path[-1])
    if leaf is None:
        name = ".".join(ref.path) if len(ref.path) > 1 else ref.path[-1]
        raise SoqlError(
            "INVALID_FIELD",
            located(query.text, ref.pos, _UNKNOWN_COLUMN.format(name=name, sobject=current)),
        )
    return _Resolved(tuple(hops), leaf, schema.field_type(current, leaf))


def _value(schema: Schema, row: dict[str, Any], resolved: _Resolved) -> Any:
    current: dict[str, Any] | None = row
    for _rel, fk, _target in resolved.hops:
        if current is None:
            return None
        target_id = current.get(fk)
        current = schema.get(target_id) if isinstance(target_id, str) else None
    return None if current is None else current.get(resolved.leaf)


def _normal(value: Any, kind: str) -> Any:
    """A stored value made comparable with a literal of `kind`."""
    if value is None:
        return None
    if kind == "date" and isinstance(value, str):
        return date.fromisoformat(value[:10])
    if kind == "datetime" and isinstance(value, str):
        return parse_datetime(value)
    if isinstance(value, str):
        return value.lower()  # SOQL text comparisons are case-insensitive
    return value


def _like(value: Any, pattern: str) -> bool:
    if not isinstance(value, str):
        return False
    regex = "".join(
        ".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern.lower()
    )
    return re.fullmatch(regex, value.lower(), re.DOTALL) is not None


def _compare(value: Any, op: str, literal: Literal) -> bool:
    if literal.kind == "null" or value is None:
        if op == "=":
            return value is None and literal.value is None
        if op == "!=":
            return not (value is None and literal.value is None)
        return False
    left = _normal(value, literal.kind)
    right = literal.value.lower() if isinstance(literal.value, str) else literal.value
    if literal.kind == "datetime" and isinstance(left, date) and not isinstance(left, datetime):
        return False
    try:
        if op == "=":
            return bool(left == right)
        if op == "!=":
            return bool(left != right)
        if op == "<":
            return bool(left < right)
        if op == "<=":
            return bool(left <= right)
        if op == ">":
            return bool(left > right)
        if op == ">=":
            return bool(left >= right)
    except TypeError:
        return False
    raise AssertionError(op)


_QUOTED_TYPES = {"date", "datetime", "double", "int", "percent", "currency", "boolean"}


def _check_literal(query: Query, ref: FieldRef, resolved: _Resolved, literal: Literal) -> None:
    """A quoted value against a date/number/boolean field is refused, as Salesforce does.
    ASSUMPTION (soql-messages)"""
    if literal.kind == "string" and resolved.leaf_type in _QUOTED_TYPES:
        message = (
            f"value of filter criterion for field '{resolved.leaf}' must be of type "
            f"{resolved.leaf_type} and should not be enclosed in quotes"
        )
        raise SoqlError("INVALID_QUERY_FILTER_OPERATOR", located(query.text, literal.pos, message))


def _compile(
    schema: Schema, query: Query, sobject: str, node: Node
) -> Callable[[dict[str, Any]], bool]:
    if isinstance(node, BoolOp):
        parts = [_compile(schema, query, sobject, part) for part in node.parts]
        if node.op == "AND":
            return lambda row: all(part(row) for part in parts)
        if node.op == "OR":
            return lambda row: any(part(row) for part in parts)
        return lambda row: not parts[0](row)
    resolved = _resolve(schema, query, sobject, node.field)
    for literal in node.values:
        _check_literal(query, node.field, resolved, literal)
    op, values = node.op, node.values
    if op == "LIKE":
        pattern = str(values[0].value)
        return lambda row: _like(_value(schema, row, resolved), pattern)
    if op in ("IN", "NOT IN"):

        def member(row: dict[str, Any]) -> bool:
            value = _value(schema, row, resolved)
            inside = any(_compare(value, "=", lit) for lit in values)
            if op == "IN":
                return inside
            return value is not None and not inside

        return member
    return lambda row: _compare(_value(schema, row, resolved), op, values[0])


def _sort_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, str):
        return (1, value.lower())
    if isinstance(value, bool):
        return (1, int(value))
    return (1, value)


def execute(schema: Schema, text: str) -> list[dict[str, Any]]:
    """Run a SOQL query; returns the records in Salesforce's JSON shape (with attributes,
    relationship fields nested under the relationship name or null)."""
    query = parse(text)
    sobject = schema.object_name(query.sobject)
    if sobject is None:
        raise SoqlError(
            "INVALID_TYPE",
            located(query.text, query.sobject_pos, _UNKNOWN_OBJECT.format(name=query.sobject)),
        )
    selected = [(ref, _resolve(schema, query, sobject, ref)) for ref in query.fields]
    test = _compile(schema, query, sobject, query.where) if query.where else None
    order = [(item, _resolve(schema, query, sobject, item.field)) for item in query.order]
    rows = [row for row in schema.rows(sobject) if test is None or test(row)]
    for item, resolved in reversed(order):
        with_value = [row for row in rows if _value(schema, row, resolved) is not None]
        without = [row for row in rows if _value(schema, row, resolved) is None]
        with_value.sort(
            key=lambda row, r=resolved: _sort_key(_value(schema, row, r)),  # type: ignore[misc]
            reverse=item.descending,
        )
        rows = with_value + without if item.nulls_last else without + with_value
    if query.limit is not None:
        rows = rows[: query.limit]
    return [_shape(schema, sobject, row, selected) for row in rows]


def _shape(
    schema: Schema,
    sobject: str,
    row: dict[str, Any],
    selected: list[tuple[FieldRef, _Resolved]],
) -> dict[str, Any]:
    out: dict[str, Any] = {"attributes": {"type": sobject, "url": schema.url(sobject, row["Id"])}}
    for _ref, resolved in selected:
        if not resolved.hops:
            out[resolved.leaf] = row.get(resolved.leaf)
            continue
        target: dict[str, Any] = out
        current: dict[str, Any] | None = row
        for index, (rel, fk, target_type) in enumerate(resolved.hops):
            target_id = current.get(fk) if current is not None else None
            current = schema.get(target_id) if isinstance(target_id, str) else None
            if current is None:
                target.setdefault(rel, None)
                break
            nested = target.get(rel)
            if not isinstance(nested, dict):
                nested = {
                    "attributes": {
                        "type": target_type,
                        "url": schema.url(target_type, current["Id"]),
                    }
                }
                target[rel] = nested
            target = nested
            if index == len(resolved.hops) - 1:
                target[resolved.leaf] = current.get(resolved.leaf)
    return out


# ---------------------------------------------------------------------------- formulas
# Validation rule formulas:
# https://help.salesforce.com/s/articleView?id=sf.fields_useful_validation_formulas.htm
# Functions: https://help.salesforce.com/s/articleView?id=sf.customize_functions.htm


class FormulaError(Exception):
    """A formula Salesforce would refuse at save time, with its wording."""


_FORMULA_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<op>&&|\|\||==|=|!=|<>|<=|>=|<|>)
  | (?P<punct>[(),])
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    """,
    re.VERBOSE,
)

FORMULA_FUNCTIONS = {"AND", "OR", "NOT", "ISPICKVAL", "ISCHANGED", "ISBLANK", "PRIORVALUE", "TEXT"}


@dataclass(frozen=True)
class FCall:
    name: str
    args: tuple[FNode, ...]


@dataclass(frozen=True)
class FField:
    name: str


@dataclass(frozen=True)
class FLit:
    value: Any


@dataclass(frozen=True)
class FBin:
    op: str
    left: FNode
    right: FNode


FNode = FCall | FField | FLit | FBin


class FormulaFields(Protocol):
    def field_name(self, name: str) -> str | None:
        """Canonical field name on the rule's object, or None."""

    def field_type(self, name: str) -> str:
        """Describe type of that field."""


class _FormulaParser:
    def __init__(self, text: str, fields: FormulaFields) -> None:
        self.fields = fields
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        while pos < len(text):
            match = _FORMULA_TOKEN.match(text, pos)
            if not match:
                raise FormulaError(f"Error: Syntax error. Found '{text[pos]}'")
            if match.lastgroup != "ws":
                self.tokens.append((match.lastgroup or "", match.group()))
            pos = match.end()
        self.tokens.append(("eof", ""))
        self.at = 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.at]

    def syntax(self) -> FormulaError:
        kind, text = self.peek()
        if kind == "eof":
            return FormulaError("Error: Syntax error. Missing ')'")
        return FormulaError(f"Error: Syntax error. Found '{text}'")

    def parse(self) -> FNode:
        node = self.or_expr()
        if self.peek()[0] != "eof":
            raise self.syntax()
        return node

    def or_expr(self) -> FNode:
        node = self.and_expr()
        while self.peek() == ("op", "||"):
            self.at += 1
            node = FBin("||", node, self.and_expr())
        return node

    def and_expr(self) -> FNode:
        node = self.comparison()
        while self.peek() == ("op", "&&"):
            self.at += 1
            node = FBin("&&", node, self.comparison())
        return node

    def comparison(self) -> FNode:
        node = self.atom()
        kind, text = self.peek()
        if kind == "op" and text not in ("&&", "||"):
            self.at += 1
            op = {"==": "=", "<>": "!="}.get(text, text)
            right = self.atom()
            for side in (node, right):
                if isinstance(side, FField) and self.fields.field_type(side.name) == "picklist":
                    raise FormulaError(
                        f"Error: Field {side.name} is a picklist field. Picklist fields are "
                        "only supported in certain functions."
                    )
            node = FBin(op, node, right)
        return node

    def atom(self) -> FNode:
        kind, text = self.peek()
        self.at += 1
        if kind == "number":
            return FLit(float(text) if "." in text else int(text))
        if kind == "string":
            return FLit(_unescape(text[1:-1]))
        if kind == "punct" and text == "(":
            inner = self.or_expr()
            if self.peek() != ("punct", ")"):
                raise self.syntax()
            self.at += 1
            return inner
        if kind != "ident":
            self.at -= 1
            raise self.syntax()
        upper = text.upper()
        if self.peek() == ("punct", "("):
            if upper not in FORMULA_FUNCTIONS:
                raise FormulaError(f"Error: Unknown function {upper}. Check spelling.")
            self.at += 1
            args: list[FNode] = []
            if self.peek() != ("punct", ")"):
                args.append(self.or_expr())
                while self.peek() == ("punct", ","):
                    self.at += 1
                    args.append(self.or_expr())
            if self.peek() != ("punct", ")"):
                raise self.syntax()
            self.at += 1
            self.check_call(upper, args)
            return FCall(upper, tuple(args))
        if upper in ("TRUE", "FALSE"):
            return FLit(upper == "TRUE")
        if upper == "NULL":
            return FLit(None)
        name = self.fields.field_name(text)
        if name is None:
            raise FormulaError(f"Error: Field {text} does not exist. Check spelling.")
        return FField(name)

    def check_call(self, name: str, args: list[FNode]) -> None:
        arity = {"NOT": 1, "ISPICKVAL": 2, "ISCHANGED": 1, "ISBLANK": 1, "PRIORVALUE": 1, "TEXT": 1}
        if name in arity and len(args) != arity[name]:
            raise FormulaError(
                f"Error: Incorrect number of parameters for function '{name}()'. "
                f"Expected {arity[name]}, received {len(args)}"
            )
        if name in ("AND", "OR") and not args:
            raise FormulaError(
                f"Error: Incorrect number of parameters for function '{name}()'. "
                "Expected 1, received 0"
            )
        if name in ("ISCHANGED", "PRIORVALUE") and not isinstance(args[0], FField):
            raise FormulaError(f"Error: Incorrect parameter type for function '{name}()'.")


def parse_formula(text: str, fields: FormulaFields) -> FNode:
    """Parse a validation rule's errorConditionFormula; unsupported parts raise
    FormulaError with Salesforce's formula editor wording."""
    return _FormulaParser(text, fields).parse()


def evaluate_formula(node: FNode, new: dict[str, Any], old: dict[str, Any] | None) -> Any:
    """Evaluate against the record after the change (`new`) and before it (`old`; None on
    insert, where ISCHANGED is false and PRIORVALUE is the new value)."""

    def ev(n: FNode) -> Any:
        if isinstance(n, FLit):
            return n.value
        if isinstance(n, FField):
            return new.get(n.name)
        if isinstance(n, FBin):
            if n.op == "&&":
                return bool(ev(n.left)) and bool(ev(n.right))
            if n.op == "||":
                return bool(ev(n.left)) or bool(ev(n.right))
            left, right = ev(n.left), ev(n.right)
            if left is None or right is None:
                # "Treat blank fields as blanks": a comparison with a blank is not true.
                return n.op == "=" and left is None and right is None
            try:
                return {
                    "=": left == right,
                    "!=": left != right,
                    "<": left < right,
                    "<=": left <= right,
                    ">": left > right,
                    ">=": left >= right,
                }[n.op]
            except TypeError:
                return False
        name, args = n.name, n.args
        if name == "AND":
            return all(bool(ev(a)) for a in args)
        if name == "OR":
            return any(bool(ev(a)) for a in args)
        if name == "NOT":
            return not bool(ev(args[0]))
        if name == "ISPICKVAL":
            return (ev(args[0]) or "") == (ev(args[1]) or "")
        if name == "ISBLANK":
            value = ev(args[0])
            return value is None or value == ""
        if name == "TEXT":
            value = ev(args[0])
            return "" if value is None else str(value)
        field_name = args[0].name  # type: ignore[union-attr]
        if name == "ISCHANGED":
            return old is not None and old.get(field_name) != new.get(field_name)
        if name == "PRIORVALUE":
            return (old if old is not None else new).get(field_name)
        raise AssertionError(name)

    return ev(node)
