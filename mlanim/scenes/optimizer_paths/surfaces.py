"""Loss surfaces of two parameters: the classic test functions, and user expressions parsed
safely (an AST whitelist compiled to torch operations; nothing is ever passed to ``eval``).

torch is imported when a surface is evaluated, not when this module is: the spec checks
expressions with it, and every command reads the specs' models."""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

Fn = Callable[["torch.Tensor", "torch.Tensor"], "torch.Tensor"]


@dataclass(frozen=True)
class Surface:
    """A function with its usual plotting range, start point and known minima."""

    name: str
    fn: Fn
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    start: tuple[float, float]
    minima: tuple[tuple[float, float], ...]
    formula: str


def _rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def _beale(x, y):
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def _himmelblau(x, y):
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


def _rastrigin(x, y):
    import torch

    return 20 + x**2 - 10 * torch.cos(2 * math.pi * x) + y**2 - 10 * torch.cos(2 * math.pi * y)


def _ackley(x, y):
    import torch

    return (-20 * torch.exp(-0.2 * torch.sqrt(0.5 * (x**2 + y**2) + 1e-12))
            - torch.exp(0.5 * (torch.cos(2 * math.pi * x) + torch.cos(2 * math.pi * y)))
            + math.e + 20)


SURFACES: dict[str, Surface] = {s.name: s for s in (
    Surface("quadratic", lambda x, y: x**2 + 10 * y**2, (-3.0, 3.0), (-2.0, 2.0), (-2.5, 1.5),
            ((0.0, 0.0),), "x² + 10·y²"),
    Surface("rosenbrock", _rosenbrock, (-2.0, 2.0), (-1.0, 3.0), (-1.5, 2.0), ((1.0, 1.0),),
            "(1 − x)² + 100·(y − x²)²"),
    Surface("beale", _beale, (-4.5, 4.5), (-4.5, 4.5), (1.0, 1.5), ((3.0, 0.5),),
            "(1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²"),
    Surface("himmelblau", _himmelblau, (-5.0, 5.0), (-5.0, 5.0), (0.0, 0.0),
            ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)),
            "(x² + y − 11)² + (x + y² − 7)²"),
    Surface("saddle", lambda x, y: x**2 - y**2, (-2.0, 2.0), (-2.0, 2.0), (-1.5, 0.01), (),
            "x² − y²"),
    Surface("rastrigin", _rastrigin, (-5.12, 5.12), (-5.12, 5.12), (3.6, -3.3), ((0.0, 0.0),),
            "20 + x² − 10·cos 2πx + y² − 10·cos 2πy"),
    Surface("booth", lambda x, y: (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2, (-10.0, 10.0),
            (-10.0, 10.0), (-8.0, 8.0), ((1.0, 3.0),), "(x + 2y − 7)² + (2x + y − 5)²"),
    Surface("ackley", _ackley, (-5.0, 5.0), (-5.0, 5.0), (3.5, 4.0), ((0.0, 0.0),),
            "Ackley"),
)}


class ExpressionError(ValueError):
    """An expression uses something outside the whitelist, or is not valid Python syntax."""


FUNCTIONS: dict[str, str] = {  # allowed name -> torch function
    "sin": "sin", "cos": "cos", "tan": "tan", "exp": "exp", "log": "log", "sqrt": "sqrt",
    "abs": "abs", "tanh": "tanh", "sinh": "sinh", "cosh": "cosh", "atan": "atan",
    "arctan": "atan",
}
CONSTANTS = {"pi": math.pi, "e": math.e}
OPERATORS = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b, ast.Pow: lambda a, b: a**b,
}


MAX_EXPRESSION = 2000  # characters


def parse_expression(text: str) -> Fn:
    """Compile ``text`` (in x and y) into a torch function.

    Allowed: numbers, x, y, pi, e, + - * / ** and unary minus, and calls of the functions in
    `FUNCTIONS`. Anything else (attributes, other names, keywords, comprehensions) is an
    `ExpressionError` naming the offending piece.
    """
    if len(text) > MAX_EXPRESSION:
        raise ExpressionError(f"the expression is {len(text):,} characters long; at most "
                              f"{MAX_EXPRESSION:,} are read")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        raise ExpressionError(f"not a valid expression ({err.msg})") from None
    except (RecursionError, MemoryError):
        raise ExpressionError("the expression nests too deeply") from None
    build = _compile(tree.body)
    return lambda x, y: build({"x": x, "y": y}) + 0 * x


def _apply(op: Callable, left: object, right: object) -> object:
    """``op`` on two operands; on two plain numbers through torch, so 1/0 or 9**9**9 give
    inf as on tensors, never a Python exception."""
    if isinstance(left, float) and isinstance(right, float):
        import torch

        return float(op(torch.tensor(left, dtype=torch.float64),
                        torch.tensor(right, dtype=torch.float64)))
    return op(left, right)


def _compile(node: ast.AST) -> Callable[[dict], torch.Tensor]:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
            and not isinstance(node.value, bool):
        try:
            value = float(node.value)
        except OverflowError:
            raise ExpressionError(f"the number {str(node.value)[:12]}... is too large") from None
        return lambda env: value
    if isinstance(node, ast.Name):
        if node.id in ("x", "y"):
            name = node.id
            return lambda env: env[name]
        if node.id in CONSTANTS:
            value = CONSTANTS[node.id]
            return lambda env: value
        raise ExpressionError(f"unknown name '{node.id}' (use x, y, pi, e)")
    if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
        op, left, right = OPERATORS[type(node.op)], _compile(node.left), _compile(node.right)
        return lambda env: _apply(op, left(env), right(env))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner, sign = _compile(node.operand), -1.0 if isinstance(node.op, ast.USub) else 1.0
        return lambda env: sign * inner(env)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        if node.func.id not in FUNCTIONS:
            raise ExpressionError(f"function '{node.func.id}' is not allowed "
                                  f"(allowed: {', '.join(sorted(FUNCTIONS))})")
        if len(node.args) != 1:
            raise ExpressionError(f"{node.func.id}() takes one argument")
        name, arg = FUNCTIONS[node.func.id], _compile(node.args[0])

        def call(env: dict) -> torch.Tensor:
            import torch

            return getattr(torch, name)(torch.as_tensor(arg(env)))
        return call
    raise ExpressionError(f"'{ast.unparse(node)}' is not allowed in an expression")
