"""Reading a spec file written in a framework's words: native argument names and conventions.

Run on the parsed data before validation (:func:`translate_data`); the result is canonical
data (dumping it writes canonical names), with each op's ``op`` left as written so that errors
still say ``ops[0] (RandomBrightness)``.

- An op named by a framework class (an alias) takes that class's own argument names:
  ``{op: RandomBrightness, brightness: 0.5}`` is ``{op: brightness, factor: 0.5}``,
  ``{op: RandomLighting, alpha: 0.1}``, ``{op: RandomApply, transforms: [...]}``, torchvision's
  ``antialias``/``max_size``/``padding_mode``/``inplace`` where the spec can follow them
  (the class of the file's conventions, else the one framework that has it, is used).
- ``conventions:`` at the top says whose conventions the numbers follow: ``augspec`` (the
  default; ``[height, width]``, an int ``resize`` is the shorter side, as torchvision's),
  ``torchvision`` (the same, plus PIL's int interpolation codes) or ``gluon`` (sizes
  ``(width, height)``, an int ``resize`` is a square unless ``keep_ratio: true``, OpenCV's
  interpolation codes), for every op of the file whatever its name.
- A bare op name in ``ops`` (``- RandomFlipLeftRight``) is that op with its defaults.
- ``size: (200, 200)`` (YAML has no tuples: that is a string) gets one error saying to write
  ``[200, 200]``.
"""

from __future__ import annotations

import re
from typing import Any, Final

from augspec.errors import Problem
from augspec.native_convert import GLUON_INTERPOLATION, PIL_INTERPOLATION
from augspec.native_names import EXPANDING, NativeClass, classes_named

CONVENTIONS: Final = ("augspec", "torchvision", "gluon")
SIZED_OPS: Final = ("random_resized_crop", "resize", "center_crop", "random_crop")
# Native arguments that are another name for one canonical field.
RENAMED: Final = {
    "brightness": "factor",
    "contrast": "factor",
    "saturation": "factor",
    "hue": "factor",
    "alpha": "alphastd",
    "transforms": "ops",
    "sharpness_factor": "factor",
    "angle_limits": "degrees",
    "rotation_degrees": "degrees",
    "rotate_with_proba": "p",
    "kernel_size": "kernel",  # GaussianBlur: (x, y) -> [height, width]
}
_TUPLE_TEXT = re.compile(r"^\s*\(.*\)\s*$", re.DOTALL)


def translate_data(data: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """``data`` with native names and conventions translated and ``conventions`` removed, and
    the problems found (each located)."""
    conventions = data.get("conventions", "augspec")
    if not isinstance(conventions, str) or conventions not in CONVENTIONS:
        expected = ", ".join(CONVENTIONS)
        message = f"Expected one of {expected} (whose sizes and codes the file's numbers follow)"
        return data, [Problem("conventions", message, f"conventions={conventions!r}")]
    if not isinstance(data.get("ops"), list):
        return {k: v for k, v in data.items() if k != "conventions"}, []
    problems: list[Problem] = []
    ops = _translate_list(data["ops"], conventions, "ops", problems)
    out = {k: v for k, v in data.items() if k != "conventions"}
    out["ops"] = ops
    return out, problems


def _translate_list(
    items: list[Any], conventions: str, where: str, problems: list[Problem]
) -> list[Any]:
    return [
        _translate(item, conventions, f"{where}[{i}]", problems) for i, item in enumerate(items)
    ]


def _translate(node: Any, conventions: str, where: str, problems: list[Problem]) -> Any:
    from augspec.ops import ALIASES, OP_NAMES, _known_ops_text
    from augspec.ops.refused import REFUSED

    if isinstance(node, str):
        if node in ALIASES or node in OP_NAMES or node in REFUSED or node in EXPANDING:
            node = {"op": node}  # a bare op name: the op with its defaults
        else:
            problems.append(
                Problem(
                    where,
                    f"Expected an op mapping such as {{op: {node}}} naming a known op; "
                    f"{node!r} is none of {_known_ops_text()}",
                    f"the string {node!r}",
                )
            )
            return node
    if not isinstance(node, dict) or not isinstance(node.get("op"), str):
        return node
    name = node["op"]
    label = f"{where} ({name})"
    tuples = _tuple_texts(node)
    for key, text in tuples:
        listed = "[" + text.strip()[1:-1].strip().rstrip(",") + "]"
        problems.append(
            Problem(
                f"{label}.{key}",
                f"Expected a list: YAML has no tuples, so {text} is not a pair; write {listed}",
                f"{key}={text!r}",
            )
        )
    if tuples:
        return node
    if name in EXPANDING:  # a class that is a composition of ops (augspec/ops/distort.py)
        expanding = classes_named(name)[0]
        try:
            return EXPANDING[name][0](expanding, {k: v for k, v in node.items() if k != "op"})
        except ValueError as err:
            problems.append(_located(label, expanding, str(err)))
            return node
    node = dict(node)
    for key in ("ops", "transforms"):
        children = node.get(key)
        if isinstance(children, dict):
            children = [children]
        if isinstance(children, list):
            node[key] = _translate_list(children, conventions, f"{where}.ops", problems)
    op = ALIASES.get(name, name)
    if op not in OP_NAMES:
        return node  # validation reports the unknown op
    nc = _class_for(name, conventions)
    try:
        if nc is not None:
            node = _by_class(node, nc, op, conventions)
        if conventions != "augspec" and (nc is None or nc.framework != "gluon"):
            node = _generic(node, op, conventions, label)
    except ValueError as err:
        problems.append(_located(label, nc, str(err)))
    return node


def _located(label: str, nc: NativeClass | None, message: str) -> Problem:
    """``Class.arg: message`` (native_names' form) as a problem at ``label.arg``."""
    head, sep, rest = message.partition(": ")
    if sep and nc is not None and head.startswith(f"{nc.name}."):
        return Problem(f"{label}.{head[len(nc.name) + 1 :]}", rest)
    if sep and head.startswith(f"{label}."):
        return Problem(head, rest)
    return Problem(label, message)


def _tuple_texts(node: dict[str, Any]) -> list[tuple[str, str]]:
    """Python tuples written in YAML: ``size: (200, 200)`` is the string '(200, 200)'; in a
    flow mapping ``{size: (200, 200)}`` it is ``size: '(200'`` and a key ``'200)'``."""
    found: list[tuple[str, str]] = []
    keys = list(node)
    for i, key in enumerate(keys):
        value = node[key]
        if key == "op" or not isinstance(value, str) or not value.lstrip().startswith("("):
            continue
        text = value
        for tail in keys[i + 1 :]:
            if ")" in text or not isinstance(tail, str) or node[tail] is not None:
                break
            text += ", " + tail.strip()
        if _TUPLE_TEXT.match(text):
            found.append((str(key), text))
    return found


def _class_for(name: str, conventions: str) -> NativeClass | None:
    """The class whose argument names an alias takes: the conventions' framework's, else the
    one framework that has such a class (torchvision before gluon under augspec's)."""
    found = [nc for nc in classes_named(name) if nc.framework != "torchvision-v2"]
    if not found:
        return None
    if conventions == "gluon":
        found.sort(key=lambda nc: nc.framework != "gluon")
    return found[0]


def _fields(op: str) -> list[str]:
    from augspec.ops import MODEL_BY_NAME

    return [f for f in MODEL_BY_NAME[op].model_fields if f != "op"]


def _by_class(node: dict[str, Any], nc: NativeClass, op: str, conventions: str) -> dict[str, Any]:
    """The op's fields from the class's own argument names, in its framework's conventions."""
    fields = _fields(op)
    keys = [k for k in node if k != "op"]
    native_only = [k for k in keys if k not in fields]
    for key in native_only:
        if key not in nc.args:
            other = [
                c for c in classes_named(nc.name) if key in c.args and c.framework != nc.framework
            ]
            if other:
                framework = other[0].framework
                note = " (Gluon's sizes are then (width, height))" if framework == "gluon" else ""
                raise ValueError(
                    f"{nc.name}.{key}: Expected an argument of {nc.framework}'s {nc.name} (the "
                    f"file's conventions are {conventions}); {key} is {framework}'s: declare "
                    f"'conventions: {framework}' at the top of the file{note}; "
                    f"received {key}={node[key]!r}"
                )
    uses_class = any(k in nc.args for k in native_only) or (
        nc.framework == "gluon" and conventions == "gluon"
    )
    if not uses_class:
        return node
    for key in native_only:
        target = RENAMED.get(key)
        if target is not None and target in node and key in nc.args:
            raise ValueError(
                f"{nc.name}.{key}: Expected {key} ({nc.name}'s name) or {target} (augspec's), not both; "
                f"received {key}={node[key]!r} and {target}={node[target]!r}"
            )
    kwargs = {k: node[k] for k in keys if k in nc.args}
    aside = {k: node[k] for k in keys if k not in nc.args}
    converted = nc.convert_present(kwargs)
    converted.pop("op", None)
    return {"op": node["op"], **converted, **aside}


def _generic(node: dict[str, Any], op: str, conventions: str, label: str) -> dict[str, Any]:
    """A framework's conventions on canonical fields (ops without that framework's class)."""
    node = dict(node)
    codes = GLUON_INTERPOLATION if conventions == "gluon" else PIL_INTERPOLATION
    interp = node.get("interpolation")
    if isinstance(interp, int) and not isinstance(interp, bool):
        if interp not in codes:
            raise ValueError(
                f"{label}.interpolation: Expected one of the {conventions} codes {codes}; "
                f"received interpolation={interp}"
            )
        node["interpolation"] = codes[interp]
    if conventions == "gluon" and op in SIZED_OPS and "size" in node:
        size = node["size"]
        if isinstance(size, list) and len(size) == 2:
            node["size"] = [size[1], size[0]]  # (width, height) -> [height, width]
        elif op == "resize" and isinstance(size, int) and not isinstance(size, bool):
            node["size"] = [size, size]  # Gluon's Resize(int) is a square
    return node


def allowed_names(name: str, conventions: str = "augspec") -> list[str]:
    """The native argument names an op written as ``name`` also takes (for error messages)."""
    from augspec.ops import ALIASES, OP_NAMES

    op = ALIASES.get(name, name)
    nc = _class_for(name, conventions)
    if nc is None or op not in OP_NAMES:
        return []
    return [a for a in nc.args if a not in _fields(op)]


def native_name_for(name: str, field: str) -> str | None:
    """The argument of the class ``name`` that is another name for ``field``, or None."""
    return next((a for a in allowed_names(name) if RENAMED.get(a) == field), None)


def schema_native_names(schema: dict[str, Any], aliases: list[str]) -> None:
    """Let an op's JSON Schema take its classes' own argument names, as loading does: each as
    an extra property, and a required field satisfied by its native name too."""
    props = schema.setdefault("properties", {})
    if "ops" in props:
        ops_take_bare_names(props["ops"])
    fields = set(props)
    alternatives: dict[str, list[str]] = {}
    for alias in aliases:
        for nc in classes_named(alias):
            for arg in nc.args:
                if arg in fields:
                    continue
                props.setdefault(
                    arg, {"description": f"{nc.framework}'s {alias}({arg}=...), read at load"}
                )
                target = RENAMED.get(arg)
                if target is None or target not in schema.get("required", []):
                    continue
                if arg not in alternatives.setdefault(target, []):
                    alternatives[target].append(arg)
    if alternatives:
        schema["required"] = [f for f in schema["required"] if f not in alternatives]
        schema["allOf"] = [
            {"anyOf": [{"required": [field]}, *({"required": [a]} for a in names)]}
            for field, names in alternatives.items()
        ]


def ops_take_bare_names(ops_schema: dict[str, Any]) -> None:
    """An ``ops`` list's items: an op mapping, or a bare op name (loaded with its defaults)."""
    from augspec.ops import ALIASES, OP_NAMES

    items = ops_schema.get("items")
    if items is not None and "anyOf" not in items:
        names = sorted({*OP_NAMES, *ALIASES})
        ops_schema["items"] = {"anyOf": [items, {"type": "string", "enum": names}]}
