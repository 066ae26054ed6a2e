"""``augspec import FILE.py``: transform pipelines read from Python source, never executed.

The file is parsed with :mod:`ast` and walked statement by statement in source order (function,
class, ``if``/``with``/``for``/``try`` bodies included, one flat namespace). Imports are
resolved whatever their style (``import torchvision``, ``from torchvision import transforms as
T``, ``from torchvision.transforms import v2``, ``from mxnet.gluon.data.vision import
transforms``, ``from mxnet import gluon`` then ``gluon.data.vision.transforms.X``, ``import
mxnet as mx`` then ``mx.gluon...``), so every call is known by its full dotted path. A call of a
framework transform class (:mod:`augspec.native_names`) becomes an op: positional arguments
mapped by the class's signature, native names and conventions translated to the spec's
(:meth:`NativeClass.to_spec`: Gluon sizes are (w, h)). Arguments are literals, arithmetic on
literals, or names bound earlier to literals or to other pipelines (``shape_aug = ...`` then
``Compose([..., shape_aug])``). Calls of ``augspec.ports`` (what ``augspec code`` writes where
a framework has no class) read back as their op.

One spec per assigned variable. What cannot be read statically (a computed argument, a
``Lambda``, an unknown class) is reported with its line and the variable is skipped: nothing is
guessed.
"""

from __future__ import annotations

import ast
import copy
import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from augspec.errors import SpecError
from augspec.io import validate_data
from augspec.pipeline import Pipeline

__all__ = ["ImportResult", "ImportedSpec", "Skipped", "import_file", "import_source"]

# Where a framework's classes are also importable from: normalised to the module the native
# names table lists.
MODULE_ALIASES = {
    "torchvision.transforms.transforms": "torchvision.transforms",
    "torchvision.transforms.v2._geometry": "torchvision.transforms.v2",
    "mxnet.gluon.data.vision.transforms.image": "mxnet.gluon.data.vision.transforms",
}
PORTS_MODULE = "augspec.ports"
# Values a transform argument may name: InterpolationMode members (torchvision, v1 and v2) and
# torch dtypes (v2's ToDtype).
_INTERPOLATION_PARENTS = (
    "torchvision.transforms.InterpolationMode",
    "torchvision.transforms.v2.InterpolationMode",
    "torchvision.transforms.functional.InterpolationMode",
)

# Methods that change a pipeline in place (list methods on .transforms, Gluon's children).
MUTATORS = frozenset(
    ("append", "extend", "insert", "pop", "remove", "clear", "add", "register_child", "__setitem__")
)
# What a conversion class (v2.ToImage, PILToTensor) reads as: dropped from its Compose.
CONVERSION = "<conversion>"

_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Pow: operator.pow,
}


class Unreadable(Exception):
    """An expression that cannot be read statically; ``line`` is where."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


@dataclass(frozen=True)
class Op:
    """A transform read from the source: its spec op dict and the frameworks it was written in."""

    data: dict[str, Any]
    frameworks: frozenset[str]


@dataclass(frozen=True)
class Symbol:
    """A name bound to something not a value: a module, a class or an enum member."""

    path: str


@dataclass(frozen=True)
class ImportedSpec:
    name: str  # the variable
    line: int
    frameworks: tuple[str, ...]  # whose classes it was written with ('augspec' for ports only)
    spec: Pipeline
    composed: bool = True  # False: one transform assigned alone, not a Compose


@dataclass(frozen=True)
class Skipped:
    name: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.name}: {self.reason} (skipped)"


@dataclass
class ImportResult:
    source: str
    specs: list[ImportedSpec] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def get(self, name: str) -> ImportedSpec:
        """The spec of variable ``name``; a ValueError listing the names found otherwise."""
        for s in self.specs:
            if s.name == name:
                return s
        found = ", ".join(s.name for s in self.specs) or "none"
        why = next((f" ({s})" for s in self.skipped if s.name == name), "")
        raise ValueError(
            f"{self.source}: Expected a pipeline variable named {name!r}{why}; "
            f"received a file whose pipelines are: {found}"
        )


def _native_class(framework_path: str) -> Any:
    """The NativeClass of a dotted path (``torchvision.transforms.RandomCrop``), or None."""
    from augspec import native_names

    module, _, name = framework_path.rpartition(".")
    module = MODULE_ALIASES.get(module, module)
    for nc in native_names.NATIVE_CLASSES:
        if nc.module == module and nc.name == name:
            return nc
    return None


def _framework_of_module(module: str) -> str | None:
    from augspec.native_names import MODULES

    module = MODULE_ALIASES.get(module, module)
    return next((f for f, m in MODULES.items() if m == module), None)


def _is_conversion(path: str) -> bool:
    """A class that only changes the container (``v2.ToImage``): no augmentation, skipped."""
    from augspec.native_names import CONVERSION_CLASSES

    module, _, name = path.rpartition(".")
    return (_framework_of_module(module), name) in CONVERSION_CLASSES


class _Reader:
    """Walks the statements in order, binding names; collects specs and what was skipped."""

    def __init__(self, source_name: str) -> None:
        self.source = source_name
        self.symbols: dict[str, Symbol] = {}
        self.values: dict[str, Any] = {}  # name -> literal value or Op
        self.unreadable: dict[str, Unreadable] = {}
        self.star_modules: list[str] = []
        self.scope: list[int] = []  # the bodies (module, function, branch) being read
        self.spec_scope: dict[str, tuple[int, ...]] = {}  # where each pipeline was assigned
        self.ambiguous: set[str] = set()
        self.result = ImportResult(source_name)

    # ---- statements -----------------------------------------------------------------

    def statements(self, body: list[ast.stmt]) -> None:
        self.scope.append(id(body))
        for stmt in body:
            if isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    if alias.asname:
                        self.symbols[alias.asname] = Symbol(alias.name)
                    else:
                        top = alias.name.split(".")[0]
                        self.symbols[top] = Symbol(top)
            elif isinstance(stmt, ast.ImportFrom) and stmt.module and stmt.level == 0:
                for alias in stmt.names:
                    if alias.name == "*":
                        self.star_modules.append(stmt.module)
                    else:
                        path = f"{stmt.module}.{alias.name}"
                        self.symbols[alias.asname or alias.name] = Symbol(path)
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
                targets: list[ast.expr] = (
                    list(stmt.targets) if isinstance(stmt, ast.Assign) else [stmt.target]
                )
                self.assign(targets, stmt.value)
            self.check_changes(stmt)
            for inner in _bodies(stmt):
                self.statements(inner)
        self.scope.pop()

    def check_changes(self, stmt: ast.stmt) -> None:
        """A pipeline changed after it was built (``augs.transforms.append(x)``, ``augs.p = 1``)
        is no longer what its assignment says: dropped and reported, not guessed."""
        changed: list[ast.expr] = []
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            func = stmt.value.func
            if isinstance(func, ast.Attribute) and func.attr in MUTATORS:
                changed.append(func.value)
        elif isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = stmt.targets if isinstance(stmt, (ast.Assign, ast.Delete)) else [stmt.target]
            changed += [t for t in targets if isinstance(t, (ast.Attribute, ast.Subscript))]
        for node in changed:
            while isinstance(node, (ast.Attribute, ast.Subscript)):
                node = node.value
            if isinstance(node, ast.Name) and isinstance(self.values.get(node.id), Op):
                self.drop(node.id, stmt.lineno, ast.unparse(stmt).splitlines()[0][:60])

    def drop(self, name: str, line: int, what: str) -> None:
        self.values.pop(name, None)
        self.unreadable[name] = Unreadable(line, f"changed after it was built: {what}")
        specs = self.result.specs
        self.result.specs = [s for s in specs if s.name != name]
        if len(self.result.specs) < len(specs):
            reason = f"changed after it was built ({what}); the assignment is not the pipeline"
            self.result.skipped.append(Skipped(name, line, reason))

    def assign(self, targets: list[ast.expr], value: ast.expr) -> None:
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        for name in names:  # rebinding forgets what the name meant before
            self.values.pop(name, None)
            self.unreadable.pop(name, None)
            self.symbols.pop(name, None)
        if not names:
            return
        try:
            result = self.expr(value)
        except Unreadable as err:
            for name in names:
                self.unreadable[name] = err
            if self.mentions_transforms(value):
                self.result.skipped += [Skipped(n, err.line, err.reason) for n in names]
            return
        for name in names:
            if isinstance(result, Symbol):
                self.symbols[name] = result
            else:
                self.values[name] = result
        if isinstance(result, Op) and result.data["op"] != CONVERSION:
            for name in names:
                self.add_spec(name, value.lineno, result)

    def add_spec(self, name: str, line: int, op: Op) -> None:
        ops = op.data["ops"] if op.data["op"] == "compose" else [op.data]
        try:
            spec = validate_data({"augspec": 1, "ops": copy.deepcopy(ops)}, f"{self.source}:{name}")
        except SpecError as err:
            reason = "; ".join(str(p) for p in err.problems)
            self.result.skipped.append(Skipped(name, line, f"not a pipeline on its own: {reason}"))
            return
        frameworks = tuple(sorted(op.frameworks)) or ("augspec",)
        composed = op.data["op"] == "compose"
        if not self.one_assignment(name, line):
            return
        self.result.specs.append(ImportedSpec(name, line, frameworks, spec, composed))

    def one_assignment(self, name: str, line: int) -> bool:
        """A later assignment in the same body replaces a pipeline; assignments in different
        branches or functions leave which one runs to run time: both dropped, reported."""
        if name in self.ambiguous:
            return False
        earlier = next((s for s in self.result.specs if s.name == name), None)
        scope = tuple(self.scope)
        if earlier is not None:
            self.result.specs.remove(earlier)
            if self.spec_scope[name] != scope:
                self.ambiguous.add(name)
                reason = (
                    f"assigned a pipeline at line {earlier.line} and at line {line}, in different "
                    "branches or functions: which one runs is decided at run time"
                )
                self.result.skipped.append(Skipped(name, line, reason))
                return False
        self.spec_scope[name] = scope
        return True

    def mentions_transforms(self, node: ast.expr) -> bool:
        """Whether an expression calls a framework's transforms (worth reporting if unreadable)."""
        for sub in ast.walk(node):
            if isinstance(sub, ast.Call):
                path = self.path_of(sub.func)
                module = path.rpartition(".")[0] if path else ""
                if path and (_framework_of_module(module) or module == PORTS_MODULE):
                    return True
            if isinstance(sub, ast.Name) and isinstance(self.values.get(sub.id), Op):
                return True
        return False

    # ---- expressions ----------------------------------------------------------------

    def path_of(self, node: ast.expr) -> str | None:
        """The dotted path a Name/Attribute chain resolves to through the imports, or None."""
        if isinstance(node, ast.Name):
            if node.id in self.symbols:
                return self.symbols[node.id].path
            if node.id not in self.values:
                for module in self.star_modules:
                    if _native_class(f"{module}.{node.id}") or self.composition(
                        f"{module}.{node.id}"
                    ):
                        return f"{module}.{node.id}"
            return None
        if isinstance(node, ast.Attribute):
            base = self.path_of(node.value)
            return None if base is None else f"{base}.{node.attr}"
        return None

    def composition(self, path: str) -> str | None:
        """'compose' / 'random_apply' where ``path`` is a framework's Compose / RandomApply."""
        module, _, name = path.rpartition(".")
        if module == PORTS_MODULE:  # gluon has no RandomChoice / RandomOrder: augspec's ports
            return {
                "gluon_random_choice": "random_choice",
                "gluon_random_order": "random_order",
            }.get(name)
        if _framework_of_module(module) is None:
            return None
        return {
            "Compose": "compose",
            "RandomApply": "random_apply",
            "RandomChoice": "random_choice",
            "RandomOrder": "random_order",
        }.get(name)

    def expr(self, node: ast.expr) -> Any:
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, (ast.Tuple, ast.List)):
            items = [self.expr(e) for e in node.elts]
            return tuple(items) if isinstance(node, ast.Tuple) else items
        if isinstance(node, ast.Dict):
            if any(k is None for k in node.keys):
                raise Unreadable(line, "a dict with ** unpacking")
            return {self.expr(k): self.expr(v) for k, v in zip(node.keys, node.values, strict=True)}  # type: ignore[arg-type]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            value = self.expr(node.operand)
            if _is_number(value):
                return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            left, right = self.expr(node.left), self.expr(node.right)
            if _is_number(left) and _is_number(right):
                try:
                    return _BINOPS[type(node.op)](left, right)
                except (ZeroDivisionError, OverflowError) as err:
                    raise Unreadable(line, f"arithmetic that fails ({err})") from None
        if isinstance(node, ast.Name) and node.id in self.values:
            return copy.deepcopy(self.values[node.id])
        if isinstance(node, ast.Name) and node.id in self.unreadable:
            earlier = self.unreadable[node.id]
            raise Unreadable(line, f"{node.id} (line {earlier.line}: {earlier.reason})")
        if isinstance(node, ast.Lambda):
            raise Unreadable(line, "a lambda cannot be read statically")
        if isinstance(node, ast.Call):
            return self.call(node)
        path = self.path_of(node)
        if path is not None:
            return self.symbol_value(path)
        if isinstance(node, ast.Name):
            raise Unreadable(line, f"{node.id} is not bound to a literal or a pipeline before")
        what = ast.unparse(node)
        raise Unreadable(line, f"{what[:60]} is computed (not a literal or a name bound to one)")

    def symbol_value(self, path: str) -> Any:
        parent, _, member = path.rpartition(".")
        if parent in _INTERPOLATION_PARENTS:
            return member.lower()  # InterpolationMode.BILINEAR.value == 'bilinear'
        if parent == "torch":
            return path  # a dtype such as torch.float32, as the class's to_spec reads it
        return Symbol(path)

    def call(self, node: ast.Call) -> Op:
        line = node.lineno
        path = self.path_of(node.func)
        if path is None:
            raise Unreadable(line, f"{ast.unparse(node.func)}(...) is not a transform class")
        module, _, name = path.rpartition(".")
        kind = self.composition(path)
        nc = _native_class(path)
        if module != PORTS_MODULE and kind is None and nc is None and not _is_conversion(path):
            framework = _framework_of_module(module)
            known = "" if framework is None else f" (a {framework} class augspec has no op for)"
            raise Unreadable(line, f"{path}{known} is not a transform augspec can read")
        if any(isinstance(a, ast.Starred) for a in node.args) or any(
            k.arg is None for k in node.keywords
        ):
            raise Unreadable(line, f"{path}(...) with * or ** arguments")
        args = [self.expr(a) for a in node.args]
        kwargs = {k.arg: self.expr(k.value) for k in node.keywords if k.arg is not None}
        if module == PORTS_MODULE and kind is None:
            return self.port_call(line, path, args, kwargs)
        if kind is not None:
            return self.container(line, path, kind, args, kwargs)
        if nc is None:  # a conversion class (v2.ToImage): no augmentation
            return Op({"op": CONVERSION}, frozenset())
        from augspec.native_names import positional_to_kwargs

        try:
            data = nc.to_spec(positional_to_kwargs(nc, args, kwargs))
        except ValueError as err:
            raise Unreadable(line, f"{name}: {err}") from None
        return Op(data, frozenset({nc.framework}))

    def port_call(self, line: int, path: str, args: list[Any], kwargs: dict[str, Any]) -> Op:
        if path.endswith(".build"):  # ports.build(backend, op, ...)
            args = args[1:]
        if len(args) != 1 or not isinstance(args[0], str):
            raise Unreadable(
                line, f"{path}(...): Expected the op name as its one positional argument"
            )
        kwargs.pop("fidelity", None)  # which build, not what the op is
        data = {"op": args[0], **{k: _plain(v) for k, v in kwargs.items()}}
        return Op(data, frozenset())

    def container(
        self, line: int, path: str, kind: str, args: list[Any], kwargs: dict[str, Any]
    ) -> Op:
        framework = _framework_of_module(path.rpartition(".")[0]) or ""
        children = kwargs.pop("transforms", args[0] if args else None)
        if isinstance(children, Op):  # gluon's RandomApply takes one Block
            block = children
            inner = block.data["ops"] if block.data["op"] == "compose" else [block.data]
            children = [Op(d, block.frameworks) for d in inner]
        if not isinstance(children, list) or not children:
            raise Unreadable(line, f"{path}: Expected a non-empty list of transforms")
        for i, child in enumerate(children):
            if not isinstance(child, Op):
                raise Unreadable(line, f"{path}: item {i} is not a transform: {child!r:.60}")
        children = [c for c in children if c.data["op"] != CONVERSION]
        if not children:
            raise Unreadable(
                line, f"{path}: only container conversions (ToImage, ...), no transform"
            )
        ops = [c.data for c in children]
        frameworks = frozenset({framework} if framework else ()).union(
            *(c.frameworks for c in children if isinstance(c, Op))
        )
        if kind in ("compose", "random_order"):
            return Op({"op": kind, "ops": ops}, frameworks)
        if kind == "random_choice":
            weights = kwargs.pop("p", args[1] if len(args) > 1 else None)
            if weights is None:
                return Op({"op": kind, "ops": ops}, frameworks)
            if not isinstance(weights, (list, tuple)) or not all(map(_is_number, weights)):
                raise Unreadable(
                    line, f"{path}: Expected p a list of numbers; received p={weights!r:.60}"
                )
            return Op({"op": kind, "ops": ops, "p": list(weights)}, frameworks)
        p = kwargs.pop("p", args[1] if len(args) > 1 else 0.5)
        if not _is_number(p):
            raise Unreadable(line, f"{path}: Expected p a number; received p={p!r:.60}")
        return Op({"op": "random_apply", "p": p, "ops": ops}, frameworks)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _plain(value: Any) -> Any:
    """A literal as spec data: tuples as lists, nested ops as their dicts."""
    if isinstance(value, Op):
        return value.data
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def _bodies(stmt: ast.stmt) -> Iterator[list[ast.stmt]]:
    for name in ("body", "orelse", "finalbody"):
        inner = getattr(stmt, name, None)
        if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
            yield inner
    for handler in getattr(stmt, "handlers", []):
        yield handler.body


def import_source(text: str, source: str = "<source>") -> ImportResult:
    """The pipelines assigned in Python source ``text`` (parsed, never executed)."""
    try:
        tree = ast.parse(text, filename=source)
    except SyntaxError as err:
        raise ValueError(
            f"{source}: Expected Python source; received a syntax error at line {err.lineno}: {err.msg}"
        ) from None
    reader = _Reader(source)
    reader.statements(tree.body)
    return reader.result


def import_file(path: str | Path) -> ImportResult:
    """:func:`import_source` of a file (read as UTF-8, never executed)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{path}: Expected UTF-8 Python source; received binary data") from None
    return import_source(text, str(path))
