"""Stand-in of a Socrata open-data portal speaking SODA 2.x (data.wa.gov, data.colorado.gov, ...).

One `SodaPortal` is one portal host; it holds `SodaDataset`s by their 4x4 id and is mounted on a
`SiteServer` under a prefix named after the host (`/data.wa.gov`), so a scraper's portal URL is
`<server.url>/data.wa.gov`. Paths under the portal:

- `GET /resource/<id>.json` (and `.csv`): rows, with `$where`, `$order`, `$limit`, `$offset`,
  `$select`, `$group`, and simple equality filters `?field=value`;
- `GET /api/views/<id>.json`: the dataset's metadata (`rowsUpdatedAt`, `columns`...);
- `GET /api/views/<id>/rows.csv`: the whole dataset as one CSV export.

What is mimicked, from Socrata's SODA documentation and answers recorded by other clients:
- every value is a JSON string, numbers and dates included; dates are floating timestamps
  ("2019-05-14T00:00:00.000"); SODA omits null fields from a row object instead of writing null;
- a URL-type column (dataTypeName "url", e.g. Colorado's `linktoverifylicense`) answers an
  object, `{"url": "https://..."}`, not a string; SoQL cannot `upper()`, `LIKE` or compare it
  with a text value (`query.soql.type-mismatch`); a CSV answer or export writes its url text;
- every row has a hidden, stable `:id`; `$order=:id` is the documented way to page stably, and
  `:id` is only returned when `$select` names it;
- `$limit` defaults to 1000 and `$offset` to 0; here a `$limit` over 50,000 is refused (the SODA
  2.0 cap; 2.1 endpoints of some portals allow more);
- aggregates: `$select=licensetype,count(*)&$group=licensetype` answers one object per distinct
  value, `[{"licensetype":"AC","count":"412"}, ...]`: the count is a string and its default name
  is "count" (`count(field)` counts non-null values and is named "count_field"; `AS` renames);
  a `$where` is applied before grouping; a null group value is a group of its own, its field left
  out; a selected column that is not grouped is refused (`query.soql.column-not-in-group-bys`),
  and so is `count(*)` beside a plain column without `$group`; `$order` on a grouped query takes
  a group expression, an aggregate (`count(*) DESC`) or an alias, and `$limit`/`$offset` page
  the groups;
- refusals are HTTP 400 with `{"code", "error": true, "message", "data"}` and codes such as
  `query.soql.no-such-column`, `query.soql.type-mismatch`, `query.compiler.malformed`
  (2026-09: newer portals answer the same codes under `errorCode`; not mimicked);
- SoQL string comparisons and LIKE are case-sensitive (people use `upper(field)`); comparing with
  a null field is null, so such rows never match (SQL three-valued logic);
- `X-SODA2-Fields` / `X-SODA2-Types` headers name the fields of an answer, and `Last-Modified`
  follows the dataset's `rowsUpdatedAt`;
- without an app token (`$$app_token` or `X-App-Token`) requests are throttled with HTTP 429; how
  often is this stand-in's setting `throttle_every` (the real rule is unpublished).

The stand-in's own choices where the documentation is silent: groups come in the order their
first row has (the real order without `$order` is unspecified); a url column orders, groups and
tests `IS NULL` by its url text.
Not mimicked: `$having`, `$q`, `$query`, aggregates other than `count`, arithmetic, geo and date
functions (refused with a 400 that says so), ordering of rows without `$order` (here it is `:id`
order). The body texts of the 404, 429, 403 and `$limit` refusals are ours, in the real style.
"""

from __future__ import annotations

import csv
import datetime as dt
import email.utils
import io
import json
import re
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

from .server import Request, Response, json_response, text_response

DEFAULT_LIMIT = 1000
MAX_LIMIT = 50_000
CACHED_QUERIES = 64  # distinct ($where, filters) per dataset whose matches are kept

Row = dict[str, Any]
LazyRows = tuple[int, Callable[[int], Row]]  # (count, row_fn): row_fn(i) -> the i-th row


class SoqlError(Exception):
    """A query the real portal refuses with HTTP 400 (or the status given)."""

    def __init__(self, code: str, message: str, data: dict | None = None, status: int = 400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data or {}
        self.status = status

    def response(self) -> Response:
        body = {"code": self.code, "error": True, "message": self.message, "data": self.data}
        return json_response(body, self.status)


# -- SoQL: tokens -------------------------------------------------------------------------------


class Token(NamedTuple):
    kind: str  # "ident", "quoted" (a `backticked` name), "string", "number", "op", "punct", "end"
    text: str  # a string literal unescaped; a backticked name without its backticks
    pos: int  # offset in the source


_TOKEN = re.compile(
    r"""(?P<ws>\s+)
      | (?P<string>'(?:[^']|'')*')
      | (?P<number>\d+(?:\.\d*)?|\.\d+)
      | (?P<ident>[A-Za-z_:@][A-Za-z0-9_:@]*)
      | (?P<quoted>`[^`]+`)
      | (?P<op><>|!=|<=|>=|=|<|>)
      | (?P<punct>[(),*\-])""",
    re.VERBOSE,
)
KEYWORDS = {"AND", "OR", "NOT", "IN", "LIKE", "IS", "NULL", "TRUE", "FALSE", "BETWEEN", "ASC",
            "DESC", "AS"}


def _malformed(source: str, pos: int, what: str) -> SoqlError:
    return SoqlError(
        "query.compiler.malformed",
        f"Could not parse SoQL query \"{source}\" at line 1 character {pos + 1}: {what}",
        {"position": {"row": 1, "column": pos + 1, "line": source}},
    )


def tokenize(source: str) -> list[Token]:
    tokens, pos = [], 0
    while pos < len(source):
        match = _TOKEN.match(source, pos)
        if match is None:
            what = ("unterminated string literal" if source[pos] == "'"
                    else f"unexpected character {source[pos]!r}")
            raise _malformed(source, pos, what)
        kind, text = match.lastgroup, match.group()
        if kind == "string":
            text = text[1:-1].replace("''", "'")
        elif kind == "quoted":
            text = text[1:-1]
        if kind != "ws":
            tokens.append(Token(kind, text, pos))
        pos = match.end()
    tokens.append(Token("end", "", len(source)))
    return tokens


# -- SoQL: typed expressions compiled to closures ------------------------------------------------

Eval = Callable[[int, Row], Any]  # (row position, row) -> a value, or None for null
_NOT_LITERAL = object()


class Expr(NamedTuple):
    type: str  # "text", "number", "calendar_date", "url", "checkbox" (boolean), "null"
    fn: Eval
    literal: Any = _NOT_LITERAL  # the value, when the expression is a literal
    name: str = ""  # the column name, when the expression is a column


def floating_timestamp(value: Any) -> str | None:
    """'2019-05-14', '2019-05-14T08:30:00' or '2019-05-14T08:30:00.000' -> the canonical
    floating timestamp '2019-05-14T08:30:00.000' (compares as text); anything else -> None."""
    if value is None:
        return None
    text = str(value).strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text).isoformat() + "T00:00:00.000"
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def url_text(value: Any) -> str | None:
    """The url of a URL-type value (`{"url": "https://..."}`); a plain string passes as is."""
    if isinstance(value, dict):
        return value.get("url") or None
    return value or None


def _column_expr(name: str, kind: str) -> Expr:
    if kind == "url":
        # Read as its url text, for IS NULL, ordering and grouping; its type keeps it out of
        # text functions and text comparisons, as on the real portals.
        return Expr(kind, lambda i, row: url_text(row.get(name)), name=name)
    if kind == "number":
        return Expr(kind, lambda i, row: _number(row.get(name)), name=name)
    if kind == "calendar_date":
        # A real calendar_date column cannot hold 'N/A'; the generated data keeps a few such
        # values for the scrapers' sake, and they compare as null here.
        return Expr(kind, lambda i, row: floating_timestamp(row.get(name)), name=name)
    return Expr(kind, lambda i, row: row.get(name) or None, name=name)


def _literal(kind: str, value: Any) -> Expr:
    return Expr(kind, lambda i, row: value, literal=value)


def _three_valued_and(left: Eval, right: Eval) -> Eval:
    def both(i: int, row: Row) -> bool | None:
        a = left(i, row)
        if a is False:
            return False
        b = right(i, row)
        if b is False:
            return False
        return None if a is None or b is None else True
    return both


def _three_valued_or(left: Eval, right: Eval) -> Eval:
    def either(i: int, row: Row) -> bool | None:
        a = left(i, row)
        if a is True:
            return True
        b = right(i, row)
        if b is True:
            return True
        return None if a is None or b is None else False
    return either


def _negate(inner: Eval) -> Eval:
    def negated(i: int, row: Row) -> bool | None:
        value = inner(i, row)
        return None if value is None else not value
    return negated


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<>": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def like_regex(pattern: str) -> re.Pattern[str]:
    """SoQL LIKE: '%' any run of characters, '_' one character, case-sensitive."""
    parts = [".*" if char == "%" else "." if char == "_" else re.escape(char) for char in pattern]
    return re.compile("".join(parts), re.DOTALL)


class Aggregate(NamedTuple):
    """count(*) (expr None) or count(expr), the only aggregate mimicked."""

    expr: Expr | None
    default_name: str  # "count", "count_licensetype"

    def value(self, positions: Sequence[int], get_row: Callable[[int], Row]) -> int:
        if self.expr is None:
            return len(positions)
        fn = self.expr.fn
        return sum(1 for i in positions if fn(i, get_row(i)) is not None)


class SelectItem(NamedTuple):
    name: str  # the key in the answer
    expr: Expr | None  # None for an aggregate
    aggregate: Aggregate | None = None


GroupKey = tuple[Aggregate | int, bool]  # (an aggregate or a group expression's index, desc)


class SoqlCompiler:
    """Parses one SoQL clause against a dataset's columns (a small recursive-descent parser).

        select    := ( '*' | aggregate [AS name] | or_expr [AS name] ), ...
        aggregate := count '(' ( '*' | or_expr ) ')'
        group     := or_expr, ...
        order     := ( or_expr | aggregate | alias ) [ASC | DESC], ...   (an alias when grouped)

        or_expr   := and_expr (OR and_expr)*
        and_expr  := not_expr (AND not_expr)*
        not_expr  := NOT not_expr | predicate
        predicate := operand [ cmp operand | [NOT] IN '(' operand, ... ')' | [NOT] LIKE operand
                              | IS [NOT] NULL | [NOT] BETWEEN operand AND operand ]
        operand   := literal | column | function '(' or_expr, ... ')' | '(' or_expr ')'
    """

    def __init__(self, source: str, column_types: dict[str, str], row_id: Callable[[int], str]):
        self.source = source
        self.column_types = column_types
        self.row_id = row_id
        self.tokens = tokenize(source)
        self.at = 0

    # -- the three clauses -----------------------------------------------------------------------

    def where(self) -> Eval:
        expr = self._or()
        self._expect_end()
        if expr.type not in ("checkbox", "null"):
            raise self._mismatch("where", expr.type)
        return expr.fn

    def order(self) -> list[tuple[Expr, bool]]:
        """[(expression, descending)]"""
        keys = []
        while True:
            expr = self._or()
            descending = False
            if self._keyword("DESC"):
                descending = True
            else:
                self._keyword("ASC")
            keys.append((expr, descending))
            if not self._punct(","):
                break
        self._expect_end()
        return keys

    def select(self) -> list[SelectItem]:
        items: list[SelectItem] = []
        while True:
            token = self._peek()
            aggregate = self._aggregate()
            if aggregate is not None:
                items.append(SelectItem(self._alias(aggregate.default_name), None, aggregate))
            elif token.kind == "punct" and token.text == "*":
                self.at += 1
                items += [SelectItem(name, _column_expr(name, kind))
                          for name, kind in self.column_types.items()]
            else:
                expr = self._or()
                items.append(SelectItem(self._alias(self._default_name(expr)), expr))
            if not self._punct(","):
                break
        self._expect_end()
        return items

    def group(self) -> list[Expr]:
        exprs = [self._or()]
        while self._punct(","):
            exprs.append(self._or())
        self._expect_end()
        return exprs

    def grouped_order(self, items: list[SelectItem], groups: list[Expr]) -> list[GroupKey]:
        """$order of an aggregated query: each key an aggregate, an alias of the $select, or an
        expression that is grouped by; a plain column that is not grouped is refused."""
        aliases = {item.name: item for item in items}
        grouped = [expr.name for expr in groups]
        keys: list[GroupKey] = []
        while True:
            token = self._peek()
            aggregate = self._aggregate()
            key: Aggregate | int
            if aggregate is not None:
                key = aggregate
            elif (token.kind in ("ident", "quoted") and token.text in aliases
                  and self._peek(1).text != "("):
                self.at += 1
                item = aliases[token.text]
                key = (item.aggregate if item.aggregate is not None
                       else grouped.index(item.expr.name))
            else:
                expr = self._or()
                if not expr.name or expr.name not in grouped:
                    raise _not_in_group_bys(expr.name or self._default_name(expr))
                key = grouped.index(expr.name)
            descending = self._keyword("DESC")
            if not descending:
                self._keyword("ASC")
            keys.append((key, descending))
            if not self._punct(","):
                break
        self._expect_end()
        return keys

    def _aggregate(self) -> Aggregate | None:
        """count(*) or count(expr) at this point, consumed; None (nothing consumed) if not."""
        token = self._peek()
        if not (token.kind == "ident" and token.text.lower() == "count"
                and self._peek(1).text == "("):
            return None
        self.at += 2
        if self._punct("*"):
            aggregate = Aggregate(None, "count")
        else:
            expr = self._or()
            aggregate = Aggregate(expr, f"count_{expr.name}" if expr.name else "count")
        self._require_punct(")")
        return aggregate

    # -- grammar ---------------------------------------------------------------------------------

    def _or(self) -> Expr:
        left = self._and()
        while self._keyword("OR"):
            right = self._and()
            self._need_boolean("OR", left, right)
            left = Expr("checkbox", _three_valued_or(left.fn, right.fn))
        return left

    def _and(self) -> Expr:
        left = self._not()
        while self._keyword("AND"):
            right = self._not()
            self._need_boolean("AND", left, right)
            left = Expr("checkbox", _three_valued_and(left.fn, right.fn))
        return left

    def _not(self) -> Expr:
        if self._keyword("NOT"):
            inner = self._not()
            self._need_boolean("NOT", inner)
            return Expr("checkbox", _negate(inner.fn))
        return self._predicate()

    def _predicate(self) -> Expr:
        left = self._operand()
        token = self._peek()
        if token.kind == "op":
            self.at += 1
            return self._compare(token.text, left, self._operand())
        negated = False
        if self._is_keyword(token, "NOT") and self._is_keyword(self._peek(1), "IN", "LIKE",
                                                                "BETWEEN"):
            self.at += 1
            negated = True
        if self._keyword("IN"):
            result = self._in(left)
        elif self._keyword("LIKE"):
            result = self._like(left, self._operand())
        elif self._keyword("BETWEEN"):
            low = self._operand()
            if not self._keyword("AND"):
                raise self._unexpected("AND after BETWEEN's lower bound")
            high = self._operand()
            result = self._compare(">=", left, low)
            result = Expr("checkbox", _three_valued_and(result.fn,
                                                         self._compare("<=", left, high).fn))
        elif not negated and self._keyword("IS"):
            is_not = self._keyword("NOT")
            if not self._keyword("NULL"):
                raise self._unexpected("NULL after IS")
            fn = left.fn
            if is_not:
                return Expr("checkbox", lambda i, row: fn(i, row) is not None)
            return Expr("checkbox", lambda i, row: fn(i, row) is None)
        else:
            return left
        return Expr("checkbox", _negate(result.fn)) if negated else result

    def _operand(self) -> Expr:
        token = self._peek()
        self.at += 1
        if token.kind == "punct" and token.text == "(":
            inner = self._or()
            self._require_punct(")")
            return inner
        if token.kind == "string":
            return _literal("text", token.text)
        if token.kind == "number":
            return _literal("number", float(token.text))
        if token.kind == "punct" and token.text == "-" and self._peek().kind == "number":
            self.at += 1
            return _literal("number", -float(self.tokens[self.at - 1].text))
        if token.kind == "ident" and self._peek().text == "(":
            return self._function(token)
        if token.kind == "ident" and token.text.upper() in ("TRUE", "FALSE"):
            return _literal("checkbox", token.text.upper() == "TRUE")
        if token.kind == "ident" and token.text.upper() == "NULL":
            return _literal("null", None)
        if token.kind == "quoted" or (token.kind == "ident" and token.text.upper() not in KEYWORDS):
            return self._column(token)
        self.at -= 1
        raise self._unexpected("an expression")

    def _column(self, token: Token) -> Expr:
        name = token.text
        if name == ":id":
            row_id = self.row_id
            return Expr("text", lambda i, row: row_id(i), name=":id")
        if name not in self.column_types:
            raise SoqlError(
                "query.soql.no-such-column",
                f"No such column: {name}; position: Map(row -> 1, column -> {token.pos + 1}, "
                f"line -> \"{self.source}\")",
                {"column": name, "position": {"row": 1, "column": token.pos + 1,
                                              "line": self.source}},
            )
        return _column_expr(name, self.column_types[name])

    def _function(self, token: Token) -> Expr:
        name = token.text.lower()
        self._require_punct("(")
        args: list[Expr] = []
        if not self._punct(")"):
            args.append(self._or())
            while self._punct(","):
                args.append(self._or())
            self._require_punct(")")
        if name in ("upper", "lower") and len(args) == 1:
            self._need_text(name, *args)
            inner, change = args[0].fn, str.upper if name == "upper" else str.lower

            def changed(i: int, row: Row) -> str | None:
                value = inner(i, row)
                return None if value is None else change(value)

            return Expr("text", changed, name=f"{name}_{args[0].name}" if args[0].name else name)
        if name in ("starts_with", "contains") and len(args) == 2:
            self._need_text(name, *args)
            text, part = args[0].fn, args[1].fn
            test = str.startswith if name == "starts_with" else str.__contains__

            def tested(i: int, row: Row) -> bool | None:
                a, b = text(i, row), part(i, row)
                return None if a is None or b is None else test(a, b)

            return Expr("checkbox", tested)
        raise SoqlError("query.soql.no-such-function",
                        f"No such function '{name}'; arity={len(args)}",
                        {"function": name, "arity": len(args)})

    def _compare(self, op: str, left: Expr, right: Expr) -> Expr:
        left, right = self._unify(op, left, right)
        test = _COMPARE[op]
        a, b = left.fn, right.fn

        def compared(i: int, row: Row) -> bool | None:
            x, y = a(i, row), b(i, row)
            return None if x is None or y is None else test(x, y)

        return Expr("checkbox", compared)

    def _in(self, left: Expr) -> Expr:
        self._require_punct("(")
        options = [self._operand()]
        while self._punct(","):
            options.append(self._operand())
        self._require_punct(")")
        if any(option.literal is _NOT_LITERAL for option in options):
            raise self._unexpected("literals in the IN list")
        values = set()
        for option in options:
            left, option = self._unify("IN", left, option)
            if option.literal is not None:
                values.add(option.literal)
        fn = left.fn

        def member(i: int, row: Row) -> bool | None:
            value = fn(i, row)
            return None if value is None else value in values

        return Expr("checkbox", member)

    def _like(self, left: Expr, pattern: Expr) -> Expr:
        self._need_text("LIKE", left, pattern)
        fn, pattern_fn = left.fn, pattern.fn
        if pattern.literal is not _NOT_LITERAL:
            regex = like_regex(pattern.literal)
            return Expr("checkbox", lambda i, row: None if (v := fn(i, row)) is None
                        else regex.fullmatch(v) is not None)

        def liked(i: int, row: Row) -> bool | None:
            value, wanted = fn(i, row), pattern_fn(i, row)
            if value is None or wanted is None:
                return None
            return like_regex(wanted).fullmatch(value) is not None

        return Expr("checkbox", liked)

    # -- types -------------------------------------------------------------------------------------

    def _unify(self, op: str, left: Expr, right: Expr) -> tuple[Expr, Expr]:
        """Make both sides one type: a text literal is read as a number or a floating timestamp
        when the other side is one, as SoQL does; anything else that differs is refused."""
        if left.type == right.type or "null" in (left.type, right.type):
            return left, right
        for this, other in ((left, right), (right, left)):
            if this.type == "text" and this.literal is not _NOT_LITERAL \
                    and other.type in ("number", "calendar_date"):
                value = (_number(this.literal) if other.type == "number"
                         else floating_timestamp(this.literal))
                if value is None:
                    raise self._mismatch(op, left.type, right.type)
                converted = _literal(other.type, value)
                return (converted, right) if this is left else (left, converted)
        raise self._mismatch(op, left.type, right.type)

    def _need_boolean(self, op: str, *exprs: Expr) -> None:
        for expr in exprs:
            if expr.type not in ("checkbox", "null"):
                raise self._mismatch(op, *(e.type for e in exprs))

    def _need_text(self, op: str, *exprs: Expr) -> None:
        for expr in exprs:
            if expr.type not in ("text", "null"):
                raise self._mismatch(op, *(e.type for e in exprs))

    def _mismatch(self, op: str, *types: str) -> SoqlError:
        shown = ", ".join(types)
        return SoqlError("query.soql.type-mismatch", f"Type mismatch for {op}, is {shown}",
                         {"function": op, "types": list(types)})

    # -- tokens ------------------------------------------------------------------------------------

    def _peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.at + ahead, len(self.tokens) - 1)]

    @staticmethod
    def _is_keyword(token: Token, *words: str) -> bool:
        return token.kind == "ident" and token.text.upper() in words

    def _keyword(self, word: str) -> bool:
        if self._is_keyword(self._peek(), word):
            self.at += 1
            return True
        return False

    def _punct(self, text: str) -> bool:
        token = self._peek()
        if token.kind == "punct" and token.text == text:
            self.at += 1
            return True
        return False

    def _require_punct(self, text: str) -> None:
        if not self._punct(text):
            raise self._unexpected(f"'{text}'")

    def _expect_end(self) -> None:
        if self._peek().kind != "end":
            raise self._unexpected("the end of the clause")

    def _unexpected(self, wanted: str) -> SoqlError:
        token = self._peek()
        found = "the end of the clause" if token.kind == "end" else f"`{token.text}'"
        return _malformed(self.source, token.pos, f"expected {wanted}, but got {found}")

    def _alias(self, default: str) -> str:
        if self._keyword("AS"):
            token = self._peek()
            if token.kind not in ("ident", "quoted"):
                raise self._unexpected("an alias")
            self.at += 1
            return token.text
        return default

    @staticmethod
    def _default_name(expr: Expr) -> str:
        return expr.name or "expr"


def _not_in_group_bys(column: str) -> SoqlError:
    return SoqlError("query.soql.column-not-in-group-bys", f"Column not in group bys: {column}",
                     {"column": column})


# -- datasets -------------------------------------------------------------------------------------


def row_id(dataset_id: str, position: int) -> str:
    """A stable, Socrata-looking hidden row id ("row-2kyq~dwyy.fm5w") for a row position."""
    alphabet = "23456789abcdefghijkmnpqrstuvwxyz"
    value = (zlib.crc32(dataset_id.encode()) << 32 | position) + 0x9E3779B97F4A7C15
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF  # splitmix64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    value ^= value >> 31
    chars = []
    for _ in range(12):
        chars.append(alphabet[value & 31])
        value >>= 5
    text = "".join(chars)
    return f"row-{text[:4]}~{text[4:8]}.{text[8:]}"


class _Group(NamedTuple):
    values: tuple  # the group expressions' values
    first: int  # position of the group's first row (-1: none, a count over no rows)
    positions: list[int]


class _Matches:
    """The row positions matching one query, found lazily: paging with `$order=:id` only scans as
    far as the page asked for, and the positions found are kept for the next page."""

    def __init__(self, count: int, test: Eval | None, get_row: Callable[[int], Row]):
        self.count = count
        self.test = test
        self.get_row = get_row
        self.found: list[int] = []
        self.scanned = 0

    def first(self, wanted: int) -> Sequence[int]:
        if self.test is None:
            return range(min(wanted, self.count))
        while len(self.found) < wanted and self.scanned < self.count:
            stop = min(self.count, self.scanned + 10_000)
            test, get_row = self.test, self.get_row
            self.found += [i for i in range(self.scanned, stop) if test(i, get_row(i)) is True]
            self.scanned = stop
        return self.found

    def all(self) -> Sequence[int]:
        return self.first(self.count + 1)


class SodaDataset:
    """One dataset: rows as a list of dicts, or lazily as `(count, row_fn)` with `row_fn(i)`
    returning the i-th row (deterministic), so a benchmark can serve 500,000 rows unheld.

    `columns` are field names in their published order; a value that is None or "" is a null.
    Matches of a query are cached until `rows_updated_at` changes, `rows` is replaced, or
    `touch()` is called (do that after editing a row in place).
    """

    def __init__(self, dataset_id: str, rows: list[Row] | LazyRows, *, rows_updated_at: int,
                 name: str, columns: list[str], column_types: dict[str, str] | None = None,
                 column_names: dict[str, str] | None = None, description: str = "",
                 created_at: int | None = None):
        self.dataset_id = dataset_id
        self.rows = rows
        self.rows_updated_at = rows_updated_at
        self.view_last_modified: int | None = None  # None: the same as rows_updated_at
        self.name = name
        self.columns = list(columns)
        self.column_types = {c: (column_types or {}).get(c, "text") for c in self.columns}
        self.column_names = {c: (column_names or {}).get(c, c) for c in self.columns}
        self.description = description
        self.created_at = created_at if created_at is not None else rows_updated_at - 86_400 * 900
        self._lock = threading.Lock()
        self._version = 0
        self._cache_key: tuple | None = None
        self._matches: OrderedDict[tuple, _Matches] = OrderedDict()
        self._sorted: OrderedDict[tuple, list[int]] = OrderedDict()

    @property
    def lazy(self) -> bool:
        return isinstance(self.rows, tuple)

    @property
    def count(self) -> int:
        return self.rows[0] if isinstance(self.rows, tuple) else len(self.rows)

    def row(self, position: int) -> Row:
        if isinstance(self.rows, tuple):
            return self.rows[1](position)
        return self.rows[position]

    def touch(self, rows_updated_at: int | None = None) -> None:
        """Forget cached matches; with a time, also mark the data as updated then."""
        with self._lock:
            if rows_updated_at is not None:
                self.rows_updated_at = rows_updated_at
            self._version += 1

    def row_id(self, position: int) -> str:
        return row_id(self.dataset_id, position)

    # -- queries -----------------------------------------------------------------------------------

    def _fresh(self) -> None:
        key = (id(self.rows), self.count, self.rows_updated_at, self._version)
        if key != self._cache_key:
            self._matches.clear()
            self._sorted.clear()
            self._cache_key = key

    def _compiler(self, source: str) -> SoqlCompiler:
        return SoqlCompiler(source, self.column_types, self.row_id)

    def query(self, where: str | None = None, filters: Iterable[tuple[str, str]] = (),
              order: str | None = None, offset: int = 0, limit: int = DEFAULT_LIMIT,
              select: str | None = None, group: str | None = None,
              ) -> tuple[list[SelectItem], list[Row]]:
        """The selected fields and the page of answer rows; raises SoqlError."""
        items = (self._compiler(select).select() if select
                 else [SelectItem(c, _column_expr(c, t)) for c, t in self.column_types.items()])
        groups = self._compiler(group).group() if group is not None and group.strip() else None
        filters = tuple(filters)
        test = self._test(where, filters)
        order = (order or "").strip()
        if groups is not None or any(item.aggregate is not None for item in items):
            groups = groups or []
            grouped = {expr.name for expr in groups if expr.name}
            for item in items:
                if item.aggregate is None and item.expr.name not in grouped:
                    raise _not_in_group_bys(item.name)
            group_keys = self._compiler(order).grouped_order(items, groups) if order else []
            with self._lock:
                self._fresh()
                matches = self._cached(self._matches, (where, filters),
                                       lambda: _Matches(self.count, test, self.row))
                positions = matches.all()
            answer = self._aggregated(positions, items, groups, group_keys)
            return items, answer[offset:offset + limit]
        order = order or ":id"
        keys = None if order == ":id" else self._compiler(order).order()
        with self._lock:
            self._fresh()
            matches = self._cached(self._matches, (where, filters),
                                   lambda: _Matches(self.count, test, self.row))
            if keys is None:
                positions = matches.first(offset + limit)[offset:offset + limit]
            else:
                ordered = self._cached(self._sorted, (where, filters, order),
                                       lambda: self._sort(matches.all(), keys))
                positions = ordered[offset:offset + limit]
        return items, [self._project(position, items) for position in positions]

    def _aggregated(self, positions: Sequence[int], items: list[SelectItem], groups: list[Expr],
                    keys: list[GroupKey]) -> list[Row]:
        """One answer row per group (one in all without `$group`), in the order of `keys`."""
        found: dict[tuple, _Group] = {}
        if groups:
            for i in positions:
                row = self.row(i)
                values = tuple(expr.fn(i, row) for expr in groups)
                if values not in found:
                    found[values] = _Group(values, i, [])
                found[values].positions.append(i)
        else:  # aggregates over every matching row: one answer row, even for no rows
            found[()] = _Group((), positions[0] if positions else -1, list(positions))
        ordered = list(found.values())  # in the order of each group's first row

        def sort_value(group: _Group, key: Aggregate | int) -> Any:
            if isinstance(key, int):
                return group.values[key]
            return key.value(group.positions, self.row)

        for key, descending in reversed(keys):
            values = {id(g): sort_value(g, key) for g in ordered}
            # Nulls last ascending, first descending, as for rows.
            ordered.sort(key=lambda g: (values[id(g)] is None, values[id(g)]
                                        if values[id(g)] is not None else 0), reverse=descending)
        grouped = [expr.name for expr in groups]
        answer = []
        for group in ordered:
            first = self.row(group.first) if group.first >= 0 else {}
            out: Row = {}
            for item in items:
                if item.aggregate is not None:
                    out[item.name] = str(item.aggregate.value(group.positions, self.row))
                    continue
                k = grouped.index(item.expr.name)
                name = groups[k].name
                # A grouped column answers as published ("1975", a url object), not as read.
                value = first.get(name) if name in self.column_types else group.values[k]
                if value is not None and value != "":
                    out[item.name] = value if isinstance(value, (str, dict)) else _text(value)
            answer.append(out)
        return answer

    def _test(self, where: str | None, filters: tuple[tuple[str, str], ...]) -> Eval | None:
        tests = []
        if where is not None and where.strip():
            tests.append(SoqlCompiler(where, self.column_types, self.row_id).where())
        for name, value in filters:  # ?field=value: SODA's simple filters, an equality each
            quoted = "'" + value.replace("'", "''") + "'"
            tests.append(SoqlCompiler(f"`{name}` = {quoted}", self.column_types,
                                      self.row_id).where())
        if not tests:
            return None
        combined = tests[0]
        for test in tests[1:]:
            combined = _three_valued_and(combined, test)
        return combined

    @staticmethod
    def _cached(cache: OrderedDict, key: tuple, build: Callable[[], Any]) -> Any:
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
        value = cache[key] = build()
        while len(cache) > CACHED_QUERIES:
            cache.popitem(last=False)
        return value

    def _sort(self, positions: Sequence[int], keys: list[tuple[Expr, bool]]) -> list[int]:
        ordered = list(positions)  # already in :id order, the last tie-breaker
        for expr, descending in reversed(keys):
            if expr.name == ":id":  # the hidden id orders as the rows were loaded
                ordered.sort(reverse=descending)
                continue
            values = {i: expr.fn(i, self.row(i)) for i in ordered}
            # Nulls last ascending, first descending (PostgreSQL's default, which SODA shows).
            ordered.sort(key=lambda i: (values[i] is None, values[i] if values[i] is not None
                                        else 0), reverse=descending)
        return ordered

    def _project(self, position: int, items: list[SelectItem]) -> Row:
        row = self.row(position)
        out = {}
        for item in items:
            expr = item.expr
            if expr.name and expr.name in self.column_types:
                value = row.get(expr.name)  # as published: "1975", not 1975.0
            else:
                value = expr.fn(position, row)
            if value is None or value == "":
                continue  # SODA omits null fields
            out[item.name] = value if isinstance(value, (str, dict)) else _text(value)
        return out

    # -- documents ---------------------------------------------------------------------------------

    def metadata(self) -> dict:
        return {
            "id": self.dataset_id,
            "name": self.name,
            "assetType": "dataset",
            "description": self.description,
            "displayType": "table",
            "createdAt": self.created_at,
            "publicationDate": self.created_at,
            "rowsUpdatedAt": self.rows_updated_at,
            "viewLastModified": self.view_last_modified or self.rows_updated_at,
            "indexUpdatedAt": self.rows_updated_at,
            "columns": [
                {"id": 400_000 + k, "name": self.column_names[c], "dataTypeName": t,
                 "fieldName": c, "position": k + 1, "renderTypeName": t}
                for k, (c, t) in enumerate(self.column_types.items())
            ],
        }

    def export_csv(self) -> str:
        """/api/views/<id>/rows.csv: display names in the header, every row, dates written the
        way the portal's export writes them ("05/14/2019 12:00:00 AM")."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([self.column_names[c] for c in self.columns])
        for position in range(self.count):
            row = self.row(position)
            writer.writerow([self._export_value(c, row.get(c)) for c in self.columns])
        return buffer.getvalue()

    def _export_value(self, column: str, value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, dict):  # a URL-type value exports as its url
            return url_text(value) or ""
        if self.column_types[column] == "calendar_date" and floating_timestamp(value):
            return dt.datetime.fromisoformat(str(value)).strftime("%m/%d/%Y %I:%M:%S %p")
        return str(value)


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):  # a URL-type value: its url
        return url_text(value) or ""
    return str(value)


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# -- the portal -----------------------------------------------------------------------------------

_RESOURCE = re.compile(r"/resource/(?P<id>[^/]+)\.(?P<format>json|csv)")
_VIEW = re.compile(r"/api/views/(?P<id>[^/]+?)(?P<what>\.json|/rows\.csv)")
DATASET_ID = re.compile(r"[a-z0-9]{4}-[a-z0-9]{4}")
QUERY_PARAMETERS = ("$select", "$where", "$order", "$group", "$limit", "$offset")
UNSUPPORTED_PARAMETERS = ("$having", "$q", "$query", "$search")


def _http_date(epoch: int) -> str:
    return email.utils.formatdate(epoch, usegmt=True)


class SodaPortal:
    """One Socrata portal host. Mount it with `server.add_site("/data.wa.gov", portal)`.

    `throttle_every = N` (0: off) answers every Nth request without an app token with HTTP 429
    and `Retry-After: 1`; requests with a token are never throttled. `throttled` counts the 429s
    served. `app_tokens`, when a set, is the tokens the portal knows (others get 403).
    """

    def __init__(self, datasets: Iterable[SodaDataset] = (), *, throttle_every: int = 0,
                 app_tokens: set[str] | None = None):
        self.datasets: dict[str, SodaDataset] = {}
        self._lock = threading.Lock()
        self.throttle_every = throttle_every
        self.app_tokens = app_tokens
        self.throttled = 0
        self.untokened = 0  # requests seen without an app token
        for dataset in datasets:
            self.add(dataset)

    def add(self, dataset: SodaDataset) -> SodaDataset:
        self.datasets[dataset.dataset_id] = dataset
        return dataset

    @property
    def throttle_every(self) -> int:
        return self._throttle_every

    @throttle_every.setter
    def throttle_every(self, every: int) -> None:
        # Counting starts again, so "every Nth request" counts from the moment it is set.
        with self._lock:
            self._throttle_every, self._since_set = every, 0

    @property
    def last_modified(self) -> str | None:
        newest = max((d.rows_updated_at for d in self.datasets.values()), default=None)
        return None if newest is None else _http_date(newest)

    def handle(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            return Response(405, {"Allow": "GET"}, b"")
        token = request.query.get("$$app_token") or request.header("X-App-Token")
        if token and self.app_tokens is not None and token not in self.app_tokens:
            return SoqlError("invalid_app_token", "Invalid app_token specified",
                             status=403).response()
        if not token and self._throttle():
            response = SoqlError(
                "too_many_requests", "Too many requests without an app token; register one and "
                "send it as X-App-Token or $$app_token", status=429).response()
            response.headers["Retry-After"] = "1"
            return response
        try:
            resource = _RESOURCE.search(request.path)
            if resource and request.path.endswith(resource.group()):
                return self._resource(self._dataset(resource["id"]), request.query,
                                      resource["format"])
            view = _VIEW.search(request.path)
            if view and request.path.endswith(view.group()):
                dataset = self._dataset(view["id"])
                if view["what"] == ".json":
                    response = json_response(dataset.metadata())
                    modified = dataset.view_last_modified or dataset.rows_updated_at
                    response.headers["Last-Modified"] = _http_date(modified)
                    return response
                response = text_response(dataset.export_csv(), content_type="text/csv")
                response.headers["Content-Disposition"] = (
                    f'attachment; filename="{dataset.dataset_id}.csv"')
                response.headers["Last-Modified"] = _http_date(dataset.rows_updated_at)
                return response
        except SoqlError as refused:
            return refused.response()
        return text_response("Not Found\n", 404)

    def _throttle(self) -> bool:
        with self._lock:
            self.untokened += 1
            self._since_set += 1
            if self._throttle_every > 0 and self._since_set % self._throttle_every == 0:
                self.throttled += 1
                return True
        return False

    def _dataset(self, dataset_id: str) -> SodaDataset:
        dataset = self.datasets.get(dataset_id)
        if dataset is None:
            message = (f"Cannot find view with id {dataset_id}" if DATASET_ID.fullmatch(dataset_id)
                       else f"Invalid dataset identifier: {dataset_id}")
            raise SoqlError("not_found", message, status=404)
        return dataset

    def _resource(self, dataset: SodaDataset, query: dict[str, str], format: str) -> Response:
        unknown = [name for name in query if name.startswith("$") and not name.startswith("$$")
                   and name not in QUERY_PARAMETERS]
        if unknown:
            name = unknown[0]
            why = ("is not supported by this stand-in" if name in UNSUPPORTED_PARAMETERS
                   else "is not a recognized query parameter")
            raise SoqlError("query.compiler.malformed", f"{name} {why}", {"parameter": name})
        filters = [(name, value) for name, value in query.items() if not name.startswith("$")]
        limit = _count_parameter(query, "$limit", DEFAULT_LIMIT, MAX_LIMIT)
        offset = _count_parameter(query, "$offset", 0, None)
        items, rows = dataset.query(where=query.get("$where"), filters=filters,
                                    order=query.get("$order"), offset=offset, limit=limit,
                                    select=query.get("$select"), group=query.get("$group"))
        if format == "json":
            # The real answer puts one row object on each line, after a leading comma.
            body = "[" + "\n,".join(json.dumps(row, separators=(",", ":")) for row in rows) + "]"
            response = Response(200, {"Content-Type": "application/json;charset=utf-8"},
                                body.encode("utf-8"))
        else:
            buffer = io.StringIO()
            writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n")
            writer.writerow([item.name for item in items])
            writer.writerows([_csv_text(row.get(item.name)) for item in items] for row in rows)
            response = text_response(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response.headers["X-SODA2-Fields"] = json.dumps([item.name for item in items])
        response.headers["X-SODA2-Types"] = json.dumps(
            ["number" if item.expr is None else item.expr.type for item in items])
        response.headers["Last-Modified"] = _http_date(dataset.rows_updated_at)
        return response


def _count_parameter(query: dict[str, str], name: str, default: int, most: int | None) -> int:
    raw = query.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise SoqlError("query.compiler.malformed",
                        f"Invalid {name}: '{raw}' is not a non-negative integer", {name: raw})
    value = int(raw)
    if most is not None and value > most:
        raise SoqlError("query.compiler.malformed",
                        f"Invalid {name}: {value} is over the maximum of {most}", {name: raw})
    return value
