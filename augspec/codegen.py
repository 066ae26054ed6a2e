"""``augspec.code(spec, backend)``: idiomatic, runnable Python that builds the pipeline.

The imports and one ``Compose``, with the framework's own classes where one can express the op
(:mod:`augspec.native_names`: arguments in the class's own names and conventions, defaults left
out) and :mod:`augspec.ports` (augspec's port or faithful substitute, by a stable public path)
where none can. A line whose class is known to depart from the spec carries a short comment: the
backend record's sourced reason (what ``fidelity="spec"`` substitutes it for), or why augspec
ports the op. ``fidelity="spec"`` writes the faithful substitutes instead of those classes.

``augspec import`` reads the generated code back to the same spec (tests/test_codegen.py).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from augspec.ops import OpBase
from augspec.pipeline import Pipeline

__all__ = ["BACKENDS", "code", "code_module", "literal"]

# backend -> (import lines, the name the classes are written under)
BACKENDS: dict[str, tuple[tuple[str, ...], str]] = {
    "torchvision": (("from torchvision import transforms",), "transforms"),
    "torchvision-v2": (("import torch", "from torchvision.transforms import v2"), "v2"),
    "gluon": (("from mxnet.gluon.data.vision import transforms",), "transforms"),
}
_PORT_FUNCTION = {
    "torchvision": "torchvision",
    "torchvision-v2": "torchvision_v2",
    "gluon": "gluon",
}
INDENT = "    "
# Past this, a comment goes on the line above its op instead of after it.
MAX_LINE = 100


def _check_backend(backend: str) -> None:
    if backend not in BACKENDS:
        raise ValueError(
            f"Expected backend one of {', '.join(BACKENDS)}; received backend={backend!r}"
        )


@dataclass(frozen=True)
class Source:
    """A value written as a name, not a literal (``transforms.InterpolationMode.BICUBIC``)."""

    code: str


# Classes natives_for lists that generated code avoids (v2.ToTensor is deprecated: it warns).
_AVOIDED = {("torchvision-v2", "ToTensor")}


def _named_values(backend: str, prefix: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """torchvision's interpolation as its enum member, v2's dtype as the torch dtype."""
    out = dict(kwargs)
    if backend != "gluon" and isinstance(out.get("interpolation"), str):
        out["interpolation"] = Source(f"{prefix}.InterpolationMode.{out['interpolation'].upper()}")
    if isinstance(out.get("dtype"), str):
        out["dtype"] = Source(f"torch.{out['dtype']}")
    return out


def literal(value: Any, prefix: str = "") -> str:
    """Python source for a value ``from_spec`` gave (tuples stay tuples, floats short)."""
    if isinstance(value, Source):
        return value.code
    if isinstance(value, tuple):
        inner = ", ".join(literal(v, prefix) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v, prefix) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{" + ", ".join(f"{literal(k)}: {literal(v, prefix)}" for k, v in value.items()) + "}"
        )
    if isinstance(value, float):
        text = repr(value)
        return text[:-2] + ".0" if text.endswith(".0") else text
    if isinstance(value, str) and value.isprintable() and not any(c in value for c in '"\\'):
        return f'"{value}"'  # double quotes, as ruff/black write them
    return repr(value)


def _native_call(op: OpBase, backend: str, prefix: str) -> str | None:
    """``prefix.Class(args)`` with the first native class that can express ``op``, or None."""
    from augspec.native_names import natives_for

    data = op.model_dump(mode="json")
    for nc in natives_for(op.op, backend):
        if (backend, nc.name) in _AVOIDED:
            continue
        try:
            kwargs = _named_values(backend, prefix, nc.from_spec(data))
        except ValueError:
            continue
        return f"{prefix}.{nc.name}({_arguments(nc, kwargs, prefix)})"
    return None


def _arguments(nc: Any, kwargs: dict[str, Any], prefix: str) -> str:
    """Required arguments by position (signature order), the others by name; defaults left out."""
    shown = {
        k: v for k, v in kwargs.items() if not (k in nc.defaults and _equal(nc.defaults[k], v))
    }
    parts: list[str] = []
    for arg in nc.args:
        if arg in nc.defaults or arg not in shown:
            break
        parts.append(literal(_as_written(arg, shown.pop(arg)), prefix))
    parts += [f"{k}={literal(_as_written(k, v), prefix)}" for k, v in shown.items()]
    return ", ".join(parts)


# Arguments the frameworks' own docs write as tuples: (200, 200), scale=(0.1, 1.0).
_TUPLE_ARGS = ("size", "scale", "ratio")


def _as_written(arg: str, value: Any) -> Any:
    return tuple(value) if arg in _TUPLE_ARGS and isinstance(value, list) else value


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return bool(a == b)


def _port_call(op: OpBase, backend: str, fidelity: str) -> str:
    data = op.model_dump(mode="json", exclude_defaults=True)
    fields = "".join(f", {k}={literal(v)}" for k, v in data.items() if k != "op")
    spec_flag = ', fidelity="spec"' if fidelity == "spec" else ""
    return f"ports.{_PORT_FUNCTION[backend]}({literal(op.op)}{fields}{spec_flag})"


def _short(reason: str, limit: int = 110) -> str:
    reason = " ".join(reason.split())
    return reason if len(reason) <= limit else reason[: limit - 3].rstrip() + "..."


class _Writer:
    def __init__(self, backend: str, fidelity: str) -> None:
        self.backend = backend
        self.fidelity = fidelity
        self.prefix = BACKENDS[backend][1]
        self.uses_ports = False

    def leaf(self, op: OpBase) -> tuple[str, str]:
        """(the expression, its comment or '')."""
        from augspec.ports import how_built

        how, why = how_built(self.backend, op, self.fidelity)
        native_departs = how_built(self.backend, op, "spec")
        if how == "native":
            call = _native_call(op, self.backend, self.prefix)
            if call is not None:
                comment = ""
                if native_departs[0] == "substituted":
                    comment = f"differs from the spec: {_short(native_departs[1])}"
                return call, comment
            how, why = "ported", f"no {self.backend} class expresses {op.op} as specified"
        self.uses_ports = True
        label = "faithful substitute" if how == "substituted" else "augspec port"
        return _port_call(op, self.backend, self.fidelity), f"{label}: {_short(why)}"

    def choice_lines(self, op: OpBase, pad: str, inner: list[str]) -> list[str]:
        """random_choice / random_order: the framework's class, or augspec's gluon port."""
        if self.backend == "gluon":  # no such gluon class
            self.uses_ports = True
            head = f"ports.gluon_{op.op}"
        else:
            head = f"{self.prefix}.{'RandomChoice' if op.op == 'random_choice' else 'RandomOrder'}"
        return [f"{pad}{head}([", *inner, f"{pad}]{_choice_tail(op)}),"]

    def op_lines(self, op: OpBase, depth: int) -> list[str]:
        pad = INDENT * depth
        children = getattr(op, "ops", None)
        if children is None:
            expr, comment = self.leaf(op)
            line = f"{pad}{expr},"
            if not comment:
                return [line]
            if len(line) + len(comment) + 4 <= MAX_LINE:
                return [f"{line}  # {comment}"]
            return [f"{pad}# {comment}", line]
        inner = [ln for child in children for ln in self.op_lines(child, depth + 1)]
        p = self.prefix
        if op.op == "compose":
            return [f"{pad}{p}.Compose([", *inner, f"{pad}]),"]
        if op.op in ("random_choice", "random_order"):
            return self.choice_lines(op, pad, inner)
        prob = literal(float(op.p))  # type: ignore[attr-defined]
        if self.backend == "gluon":  # gluon's RandomApply takes one Block
            return [f"{pad}{p}.RandomApply({p}.Compose([", *inner, f"{pad}]), p={prob}),"]
        return [f"{pad}{p}.RandomApply([", *inner, f"{pad}], p={prob}),"]


def _choice_tail(op: OpBase) -> str:
    weights = getattr(op, "p", None)
    return "" if weights is None else f", p={literal([float(w) for w in weights])}"


def _assignment(writer: _Writer, spec: Pipeline, name: str, bare: bool) -> list[str]:
    if not name.isidentifier():
        raise ValueError(f"Expected name a Python identifier; received name={name!r}")
    about = [f"# {line}" for line in (spec.description or "").splitlines() if line.strip()]
    if bare and len(spec.ops) == 1 and writer.backend != "torchvision-v2":
        # One transform assigned alone (the chapter's shape_aug = RandomResizedCrop(...)).
        lines = writer.op_lines(spec.ops[0], 0)
        first = next(i for i, ln in enumerate(lines) if not ln.startswith("#"))
        lines[first] = f"{name} = {lines[first]}"
        code_part, sep, comment = lines[-1].partition(",  # ")
        lines[-1] = f"{code_part}  # {comment}" if sep else lines[-1].removesuffix(",")
        return about + lines
    body = [ln for op in spec.ops for ln in writer.op_lines(op, 1)]
    if writer.backend == "torchvision-v2":  # v2 acts on tensors: PIL/numpy in, as compile
        body.insert(0, f"{INDENT}v2.ToImage(),  # a PIL image or numpy array -> uint8 tensor")
    return [*about, f"{name} = {writer.prefix}.Compose([", *body, "])"]


def code_module(
    specs: list[tuple[str, Pipeline]],
    backend: str = "torchvision",
    fidelity: str = "native",
    bare: Collection[str] = (),
) -> str:
    """One module: the imports once, then each ``(name, spec)`` as ``name = Compose([...])``
    (names in ``bare`` with one op: ``name = Class(...)``, no Compose)."""
    from augspec.contract import check_fidelity

    _check_backend(backend)
    check_fidelity(fidelity)
    writer = _Writer(backend, fidelity)
    blocks = [_assignment(writer, spec, name, name in bare) for name, spec in specs]
    code_lines = [ln.split("#")[0] for block in blocks for ln in block]
    imports = [
        line
        for line in BACKENDS[backend][0]
        if line != "import torch" or any("torch." in ln for ln in code_lines)
    ]
    if writer.uses_ports:
        imports.append("from augspec import ports")
    # isort's order (ruff, black users): plain imports first, then from-imports by module.
    imports.sort(key=lambda line: (line.startswith("from "), line.split()[1]))
    lines = [*imports]
    for block in blocks:
        lines += ["", *block]
    return "\n".join(lines) + "\n"


def code(
    spec: Pipeline, backend: str = "torchvision", fidelity: str = "native", name: str = "augs"
) -> str:
    """Python source that builds ``spec`` as ``backend``'s pipeline, assigned to ``name``."""
    return code_module([(name, spec)], backend, fidelity)
