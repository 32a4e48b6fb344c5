"""The formula language of 一表通考 indicators (考核指标公式).

A formula is a small arithmetic expression over named facts (:mod:`fengqiao.scoring.facts`)
and over other indicators (by code), e.g. ``percent(disputes_resolved, disputes_closed)``.
It is parsed with Python's :mod:`ast` and only these nodes are accepted — nothing is ever
``eval``-ed:

* numbers (``95``, ``0.5``); names of facts or of other indicators;
* ``+ - * /`` and parentheses, unary minus;
* functions: ``ratio(a, b)`` = a ÷ b, *no value* when b is 0; ``percent(a, b)`` =
  100 × a ÷ b, likewise; ``min(a, b, …)``, ``max(a, b, …)``; ``ifnone(a, b)`` = a, or b
  when a has no value.

A value may be missing (a rate with nothing to count, a manual assessment not entered):
it propagates — any operation on a missing value gives a missing value, except
``ifnone``. Arithmetic is exact (:class:`~decimal.Decimal`), so a score recomputed from
the same facts is the same to the last digit.

**Refused when the indicator is saved** (each with a message naming the problem):
syntax errors; anything but the above (comparisons, attributes, strings, other
functions…); unknown names; a fact or indicator that does not apply to one of the
indicator's levels; an inactive indicator; ``/`` by anything but a non-zero constant
(the divisor of a plain division could be zero — use ``ratio``); a constant divisor of
zero, in ``/`` or in ``ratio``/``percent``; and reference cycles between indicators
(a uses b uses a)."""

from __future__ import annotations

import ast
import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from fengqiao.core.text import join_list

MAX_LENGTH = 500

# The names and units of the indicators the platform seeds (migration 0003), marked for
# translation so that :func:`label` shows them in the reader's language. Names and units
# people type stay as typed.
SEEDED_LABELS = (
    gettext_noop("矛盾纠纷化解率"), gettext_noop("回访率"), gettext_noop("回访满意率"),
    gettext_noop("群众满意率"), gettext_noop("时限达标率"), gettext_noop("小案快侦破案率"),
    gettext_noop("民转刑率"), gettext_noop("案事件要素录入率"), gettext_noop("党建考评"),
    gettext_noop("执法质量考评"), gettext_noop("双向评价得分"), gettext_noop("吹哨报到及时率"),
    gettext_noop("分"),
)  # fmt: skip
_SEEDED = frozenset(SEEDED_LABELS)


def label(text: str) -> str:
    """A seeded indicator name or unit in the active language; anything else as typed
    (a station's own indicator called like a word of the catalogue is not translated)."""
    return _(text) if text in _SEEDED else text


Value = Decimal | None
Compiled = Callable[[Mapping[str, Value]], Value]

# name → (fewest arguments, most arguments or None for any number)
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "ratio": (2, 2),
    "percent": (2, 2),
    "min": (2, None),
    "max": (2, None),
    "ifnone": (2, 2),
}
_DIVIDING = {"ratio", "percent"}
HUNDRED = Decimal(100)


class FormulaError(ValidationError):
    """A formula refused at definition time; the message says why, in the user's words."""


@dataclass(frozen=True)
class Formula:
    text: str
    facts: frozenset[str]
    references: frozenset[str]  # other indicators, by code
    run: Compiled

    def __call__(self, values: Mapping[str, Value]) -> Value:
        return self.run(values)


@dataclass(frozen=True)
class IndicatorInfo:
    """What the checks need to know of the other indicators."""

    code: str
    levels: frozenset[str]
    references: frozenset[str]
    active: bool = True


def _segment(text: str, node: ast.AST) -> str:
    return ast.get_source_segment(text, node) or ast.unparse(node)


def _constant(node: ast.expr) -> Decimal | None:
    """The value of an expression made of numbers only, else None. Raises on a
    constant division by zero so that ``1/(2-2)`` is refused like ``1/0``."""
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return Decimal(str(node.value))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _constant(node.operand)
        if inner is None:
            return None
        return -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub | ast.Mult | ast.Div):
        left, right = _constant(node.left), _constant(node.right)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        return left / right if right != 0 else None
    return None


class _Checker:
    def __init__(self, text: str, names: Mapping[str, str]) -> None:
        self.text = text
        self.names = names  # name → "fact" or "indicator"
        self.facts: set[str] = set()
        self.references: set[str] = set()

    def fail(self, message: str) -> FormulaError:
        return FormulaError(message, code="formula")

    def compile(self, node: ast.expr) -> Compiled:
        if isinstance(node, ast.Constant):
            if type(node.value) not in (int, float):
                raise self.fail(
                    _("公式中只能使用数字，不能使用“%(what)s”。")
                    % {"what": _segment(self.text, node)}
                )
            number = Decimal(str(node.value))
            return lambda values: number
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            operand = self.compile(node.operand)
            if isinstance(node.op, ast.UAdd):
                return operand
            return lambda values: _neg(operand(values))
        if isinstance(node, ast.BinOp):
            return self.binary(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        raise self.fail(
            _(
                "公式不支持“%(what)s”：只能使用数字、事实或指标代码、+ − × ÷、括号"
                "和函数 %(functions)s。"
            )
            % {"what": _segment(self.text, node), "functions": join_list(FUNCTIONS)}
        )

    def name(self, node: ast.Name) -> Compiled:
        name = node.id
        kind = self.names.get(name)
        if kind is None:
            close = difflib.get_close_matches(name, list(self.names), n=3, cutoff=0.6)
            hint = _("，是否想写：%(names)s") % {"names": join_list(close)} if close else ""
            raise self.fail(
                _("未知的事实或指标“%(name)s”%(hint)s。") % {"name": name, "hint": hint}
            )
        (self.facts if kind == "fact" else self.references).add(name)
        return lambda values: values.get(name)

    def binary(self, node: ast.BinOp) -> Compiled:
        ops: dict[type[ast.operator], Callable[[Decimal, Decimal], Decimal]] = {
            ast.Add: lambda a, b: a + b,
            ast.Sub: lambda a, b: a - b,
            ast.Mult: lambda a, b: a * b,
        }
        if isinstance(node.op, ast.Div):
            divisor = _constant(node.right)
            where = _segment(self.text, node)
            if divisor is None and _is_constant_zero_division(node.right):
                raise self.fail(_("“%(what)s”中除数为0。") % {"what": where})
            if divisor is None:
                raise self.fail(
                    _("“%(what)s”的除数可能为0：除法只能除以非零常数，比率请写作"
                      " ratio(被除数, 除数)（除数为0时该指标无值）。") % {"what": where}
                )  # fmt: skip
            if divisor == 0:
                raise self.fail(_("“%(what)s”中除数为0。") % {"what": where})
            left = self.compile(node.left)
            return lambda values: _apply(lambda a: a / divisor, left(values))
        op = ops.get(type(node.op))
        if op is None:
            raise self.fail(
                _("公式不支持运算符“%(what)s”：只能使用 + − × ÷。")
                % {"what": _segment(self.text, node)}
            )
        left, right = self.compile(node.left), self.compile(node.right)
        return lambda values: _apply2(op, left(values), right(values))

    def call(self, node: ast.Call) -> Compiled:
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in FUNCTIONS or node.keywords:
            raise self.fail(
                _("不支持的函数“%(what)s”：可用的函数有 %(functions)s。")
                % {"what": _segment(self.text, node.func), "functions": join_list(FUNCTIONS)}
            )
        fewest, most = FUNCTIONS[name]
        count = len(node.args)
        if count < fewest or (most is not None and count > most):
            wanted = str(fewest) if fewest == most else _("至少%(n)d") % {"n": fewest}
            raise self.fail(
                _("函数 %(name)s 需要%(wanted)s个参数，“%(what)s”有%(count)d个。")
                % {
                    "name": name,
                    "wanted": wanted,
                    "what": _segment(self.text, node),
                    "count": count,
                }
            )
        if any(isinstance(arg, ast.Starred) for arg in node.args):
            raise self.fail(_("公式不支持“*”展开参数。"))
        if name in _DIVIDING and (
            _constant(node.args[1]) == 0 or _is_constant_zero_division(node.args[1])
        ):
            raise self.fail(_("“%(what)s”中除数为0。") % {"what": _segment(self.text, node)})
        args = [self.compile(arg) for arg in node.args]
        if name == "ratio":
            return lambda values: _ratio(args[0](values), args[1](values))
        if name == "percent":
            return lambda values: _apply(
                lambda r: r * HUNDRED, _ratio(args[0](values), args[1](values))
            )
        if name == "ifnone":
            return lambda values: _first(args[0](values), args[1](values))
        pick = min if name == "min" else max
        return lambda values: _pick(pick, [arg(values) for arg in args])


def _is_constant_zero_division(node: ast.expr) -> bool:
    """Whether a numbers-only expression divides by zero somewhere (``1/(2-2)``)."""
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Div) and _constant(node.right) == 0:
            return True
        return _is_constant_zero_division(node.left) or _is_constant_zero_division(node.right)
    if isinstance(node, ast.UnaryOp):
        return _is_constant_zero_division(node.operand)
    return False


def _neg(value: Value) -> Value:
    return None if value is None else -value


def _apply(op: Callable[[Decimal], Decimal], value: Value) -> Value:
    return None if value is None else op(value)


def _apply2(op: Callable[[Decimal, Decimal], Decimal], a: Value, b: Value) -> Value:
    return None if a is None or b is None else op(a, b)


def _ratio(a: Value, b: Value) -> Value:
    if a is None or b is None or b == 0:
        return None
    return a / b


def _first(a: Value, b: Value) -> Value:
    return b if a is None else a


def _pick(pick: Callable[[list[Decimal]], Decimal], values: list[Value]) -> Value:
    present = [v for v in values if v is not None]
    return pick(present) if len(present) == len(values) else None


def parse(text: str, *, facts: Iterable[str], indicators: Iterable[str]) -> Formula:
    """Check ``text`` and compile it; :class:`FormulaError` names what is wrong."""
    text = (text or "").strip()
    if not text:
        raise FormulaError(_("请填写公式。"), code="formula")
    if len(text) > MAX_LENGTH:
        raise FormulaError(_("公式过长：最多%(n)d个字符。") % {"n": MAX_LENGTH}, code="formula")
    # The typeset signs are accepted as typed; positions stay those of the checked text.
    source = text.replace("×", "*").replace("÷", "/").replace("−", "-")
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as error:
        raise FormulaError(
            _("公式有语法错误（第%(col)s个字符附近）：请检查括号、逗号和运算符。")
            % {"col": error.offset or 1},
            code="formula",
        ) from None
    names = {name: "fact" for name in facts}
    names.update({code: "indicator" for code in indicators})
    checker = _Checker(source, names)
    run = checker.compile(tree.body)
    return Formula(text, frozenset(checker.facts), frozenset(checker.references), run)


def find_cycle(start: str, references: Mapping[str, Iterable[str]]) -> list[str] | None:
    """A chain of references leading from ``start`` back to it (``[a, b, a]``), if any."""
    path: list[str] = [start]
    seen: set[str] = set()

    def walk(code: str) -> bool:
        for nxt in sorted(references.get(code, ())):
            if nxt == start:
                path.append(nxt)
                return True
            if nxt in seen:
                continue
            seen.add(nxt)
            path.append(nxt)
            if walk(nxt):
                return True
            path.pop()
        return False

    return path if walk(start) else None


def check(
    *,
    code: str,
    formula: str,
    levels: Iterable[str],
    facts: Mapping[str, frozenset[str]],
    indicators: Mapping[str, IndicatorInfo],
    level_labels: Mapping[str, str] | None = None,
) -> Formula:
    """Everything a computed indicator's formula must satisfy before it is saved.

    ``facts`` maps each fact to the levels it exists for; ``indicators`` are the other
    indicators (the one being edited, by ``code``, is replaced by this definition)."""
    labels = level_labels or {}
    others = {c: info for c, info in indicators.items() if c != code}
    parsed = parse(formula, facts=facts, indicators=[*others, code])
    wanted = frozenset(levels)
    for name in sorted(parsed.facts):
        missing = sorted(wanted - facts[name])
        if missing:
            raise FormulaError(
                _("事实“%(name)s”不适用于%(levels)s，请调整适用层级或换用其他事实。")
                % {"name": name, "levels": join_list(labels.get(m, m) for m in missing)},
                code="formula",
            )
    for ref in sorted(parsed.references - {code}):
        info = others[ref]
        if not info.active:
            raise FormulaError(_("引用的指标“%(code)s”已停用。") % {"code": ref}, code="formula")
        missing = sorted(wanted - info.levels)
        if missing:
            raise FormulaError(
                _("引用的指标“%(code)s”不适用于%(levels)s。")
                % {"code": ref, "levels": join_list(labels.get(m, m) for m in missing)},
                code="formula",
            )
    graph = {c: info.references for c, info in others.items()}
    graph[code] = parsed.references
    cycle = find_cycle(code, graph)
    if cycle:
        raise FormulaError(
            _("指标之间循环引用：%(chain)s。") % {"chain": " → ".join(cycle)}, code="formula"
        )
    return parsed


def evaluation_order(references: Mapping[str, Iterable[str]]) -> list[str]:
    """Codes ordered so that each comes after the indicators it references."""
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(code: str) -> None:
        if state.get(code) == 2:
            return
        if state.get(code) == 1:
            raise FormulaError(_("指标之间循环引用：%(code)s。") % {"code": code})
        state[code] = 1
        for ref in sorted(references.get(code, ())):
            if ref in references:
                visit(ref)
        state[code] = 2
        order.append(code)

    for code in references:
        visit(code)
    return order


def to_decimal(value: object) -> Decimal:
    """A number typed into a form or stored in a snapshot, as an exact Decimal."""
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError(_("“%(value)s”不是数字。") % {"value": value}) from None
