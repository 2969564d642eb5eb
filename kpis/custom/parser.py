"""The formula of a custom KPI (docs/kpis.md, "Custom KPIs and metrics"): a tokenizer and a
recursive-descent parser, never ``eval`` nor Python's own parser of the user's text.

    formula := term (("+" | "-") term)*
    term    := unary (("*" | "/") unary)*
    unary   := "-" unary | primary
    primary := number | measure | "(" formula ")"

A number is decimal (``1``, ``0.5``); a measure is a name of ``kpis.measures.SOURCES`` or of an
imported metric (letters, digits, ``_``; case does not matter). The tree evaluates over NumPy arrays
(the refresh's grids, ``formula_evaluate``) and compiles to SQL (``formula_sql``); in both, a division
by 0 is null, and null spreads to the whole value. Every error names its position (1-based, in
characters): ``position 7: unknown measure 'sqlz'``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

import numpy as np
from django.utils.translation import gettext as _

from kpis.models import FORMULA_MAX_LENGTH

MAX_DEPTH = 20  # nested parentheses and signs: the parser recurses once per level
_TOKEN = re.compile(
    r"\s*(?:(?P<number>[0-9]+(?:\.[0-9]+)?|\.[0-9]+)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>[-+*/()]))"
)


class FormulaError(ValueError):
    """A formula that cannot be read, at ``position`` (1-based)."""

    def __init__(self, position: int, reason: str):
        self.position, self.reason = position, reason
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return _("position %(position)d: %(reason)s") % {"position": self.position, "reason": self.reason}


@dataclass(frozen=True)
class Number:
    value: Decimal
    position: int


@dataclass(frozen=True)
class Measure:
    name: str
    position: int


@dataclass(frozen=True)
class Negative:
    operand: Node
    position: int


@dataclass(frozen=True)
class Binary:
    operator: str  # + - * /
    left: Node
    right: Node
    position: int


Node = Number | Measure | Negative | Binary


@dataclass(frozen=True)
class _Token:
    kind: str  # number, name, op, end
    text: str
    position: int


def _tokens(text: str) -> list[_Token]:
    tokens, at = [], 0
    while at < len(text):
        if text[at:].strip() == "":
            break
        match = _TOKEN.match(text, at)
        if match is None:
            position = at + len(text[at:]) - len(text[at:].lstrip()) + 1
            raise FormulaError(position, _("unexpected character '%(char)s'") % {"char": text[position - 1]})
        kind = match.lastgroup or "op"
        tokens.append(_Token(kind, match.group(kind), match.start(kind) + 1))
        at = match.end()
    tokens.append(_Token("end", "", len(text) + 1))
    return tokens


class _Parser:
    def __init__(self, text: str, names: Callable[[str], bool] | None):
        self.tokens, self.at, self.names = _tokens(text), 0, names

    @property
    def token(self) -> _Token:
        return self.tokens[self.at]

    def formula(self, depth: int) -> Node:
        node = self.term(depth)
        while self.token.kind == "op" and self.token.text in "+-":
            operator = self.take()
            node = Binary(operator.text, node, self.term(depth), operator.position)
        return node

    def term(self, depth: int) -> Node:
        node = self.unary(depth)
        while self.token.kind == "op" and self.token.text in "*/":
            operator = self.take()
            node = Binary(operator.text, node, self.unary(depth), operator.position)
        return node

    def unary(self, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise FormulaError(
                self.token.position, _("nested too deeply (at most %(max)d levels)") % {"max": MAX_DEPTH}
            )
        token = self.token
        if token.kind == "op" and token.text == "-":
            self.take()
            return Negative(self.unary(depth + 1), token.position)
        if token.kind == "number":
            self.take()
            return Number(Decimal(token.text), token.position)
        if token.kind == "name":
            self.take()
            name = token.text.lower()
            if self.names is not None and not self.names(name):
                raise FormulaError(token.position, _("unknown measure '%(name)s'") % {"name": name})
            return Measure(name, token.position)
        if token.kind == "op" and token.text == "(":
            self.take()
            node = self.formula(depth + 1)
            if self.token.kind != "op" or self.token.text != ")":
                if self.token.kind == "end":
                    raise FormulaError(token.position, _("'(' is never closed"))
                raise FormulaError(self.token.position, _("')' or an operator is expected here"))
            self.take()
            return node
        if token.kind == "end":
            raise FormulaError(token.position, _("the formula ends where a measure, a number or '(' is expected"))
        raise FormulaError(
            token.position, _("a measure, a number or '(' is expected, not '%(token)s'") % {"token": token.text}
        )

    def take(self) -> _Token:
        token = self.token
        self.at += 1
        return token

    def whole(self) -> Node:
        node = self.formula(0)
        token = self.token
        if token.kind == "op" and token.text == ")":
            raise FormulaError(token.position, _("')' closes no '('"))
        if token.kind != "end":
            raise FormulaError(token.position, _("an operator is expected before '%(token)s'") % {"token": token.text})
        return node


def formula_parse(text: str, *, names: Callable[[str], bool] | None = None) -> Node:
    """The tree of ``text``; ``names`` says which measure names exist (None: any, for a formula
    checked when it was saved). Raises ``FormulaError``."""
    if len(text) > FORMULA_MAX_LENGTH:
        raise FormulaError(
            FORMULA_MAX_LENGTH + 1, _("a formula has at most %(max)d characters") % {"max": FORMULA_MAX_LENGTH}
        )
    if not text.strip():
        raise FormulaError(1, _("the formula is empty"))
    return _Parser(text, names).whole()


def formula_measures(node: Node) -> list[str]:
    """The measures a formula names, in order of first appearance."""
    found: dict[str, None] = {}

    def walk(n: Node) -> None:
        if isinstance(n, Measure):
            found.setdefault(n.name)
        elif isinstance(n, Negative):
            walk(n.operand)
        elif isinstance(n, Binary):
            walk(n.left)
            walk(n.right)

    walk(node)
    return list(found)


def formula_ratio(node: Node) -> tuple[Node, Node] | None:
    """The numerator and denominator of a formula that is a division at its top (``spend / sqls``)."""
    return (node.left, node.right) if isinstance(node, Binary) and node.operator == "/" else None


def formula_evaluate(node: Node, measure: Callable[[str], np.ndarray]) -> np.ndarray:
    """The formula over arrays of measures (float64, as the grid holds them): a division by 0 is NaN
    (null), and NaN spreads through every operation. A value beyond float64's range (a number of 400
    digits, a product that overflows) is NaN too: an infinity would reach the snapshots, which JSON
    and the dashboard's formatting cannot carry."""
    with np.errstate(over="ignore", invalid="ignore"):
        value = np.asarray(_evaluate(node, measure), dtype=float)
    return np.where(np.isfinite(value), value, np.nan)


def _evaluate(node: Node, measure: Callable[[str], np.ndarray]) -> np.ndarray | float:
    if isinstance(node, Number):
        return float(node.value)
    if isinstance(node, Measure):
        return measure(node.name)
    if isinstance(node, Negative):
        return -_evaluate(node.operand, measure)
    left, right = _evaluate(node.left, measure), _evaluate(node.right, measure)
    if node.operator == "+":
        return left + right
    if node.operator == "-":
        return left - right
    if node.operator == "*":
        return left * right
    right = np.asarray(right, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(right != 0, np.asarray(left, dtype=float) / np.where(right != 0, right, 1), np.nan)


def formula_sql(node: Node, column: Callable[[str], str]) -> str:
    """The formula as a SQL expression over numeric columns (``column(name)`` gives each measure's):
    a division by 0 is NULL (``NULLIF``). Numbers are written from their parsed value, names through
    ``column``: no text of the formula reaches the SQL."""
    if isinstance(node, Number):
        return f"{node.value:f}::numeric"
    if isinstance(node, Measure):
        return column(node.name)
    if isinstance(node, Negative):
        return f"(-{formula_sql(node.operand, column)})"
    left, right = formula_sql(node.left, column), formula_sql(node.right, column)
    if node.operator == "/":
        return f"({left} / NULLIF({right}, 0))"
    return f"({left} {node.operator} {right})"


def formula_names(names: Iterable[str]) -> Callable[[str], bool]:
    known = frozenset(names)
    return known.__contains__


@lru_cache(maxsize=256)
def formula_parsed(text: str) -> Node:
    """The tree of a saved formula (checked when it was saved), parsed once per process."""
    return formula_parse(text)
