"""torchvision v2's ``RandomPhotometricDistort`` as what it is: a composition of existing ops.

``RandomPhotometricDistort(brightness, contrast, saturation, hue, p)`` (v2 ``_color.py``,
``make_params``/``transform``) applies, each with probability ``p``, brightness, then contrast
either first or last (``contrast_before ~ Bernoulli(0.5)``), saturation, hue, and finally a
channel permutation (also with ``p``). That is, with ``A(op) = random_apply(p, [op])``::

    compose:
      - A(brightness: brightness)
      - random_choice (equal weights):
          - compose: [A(contrast), A(saturation), A(hue)]    # contrast before
          - compose: [A(saturation), A(hue), A(contrast)]    # contrast after
      - A(channel_permutation)

The same distribution of outputs: v2 draws the four apply flags and factors, then
``contrast_before``, then the permutation; the composition draws them in its own order (the
seeding contract's), each independent as in v2. So the class is no op of its own: a spec naming
it (``{op: RandomPhotometricDistort, ...}``, v2's argument names, ``(min, max)`` ranges) loads as
that ``compose`` (augspec.conventions), ``from_native``/``augspec import`` read the class as it,
and a dumped spec writes the ``compose``. Each part is the existing op, with its records and
tolerances on every backend.
"""

from __future__ import annotations

from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, model_validator

CLASS: Final = "RandomPhotometricDistort"
DEFAULTS: Final[dict[str, Any]] = {
    "brightness": [0.875, 1.125],
    "contrast": [0.5, 1.5],
    "saturation": [0.5, 1.5],
    "hue": [-0.05, 0.05],
    "p": 0.5,
}
_COMPONENTS: Final = ("brightness", "contrast", "saturation", "hue")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _checked(kwargs: dict[str, Any]) -> dict[str, Any]:
    unknown = [k for k in kwargs if k not in DEFAULTS]
    if unknown:
        raise ValueError(
            f"{CLASS}.{unknown[0]}: Unknown argument; expected one of: {', '.join(DEFAULTS)}; "
            f"received {unknown[0]}={kwargs[unknown[0]]!r:.60}"
        )
    args = {**DEFAULTS, **kwargs}
    for name in _COMPONENTS:
        value = args[name]
        if isinstance(value, tuple):
            value = list(value)
        if not (isinstance(value, list) and len(value) == 2 and all(map(_number, value))):
            raise ValueError(
                f"{CLASS}.{name}: Expected (min, max), two numbers (v2 takes no single "
                f"number here); received {name}={value!r:.60}"
            )
        args[name] = value
    if not _number(args["p"]):
        raise ValueError(f"{CLASS}.p: Expected a number in [0, 1]; received p={args['p']!r:.60}")
    return args


def expand(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The ``compose`` op dict that ``RandomPhotometricDistort(**kwargs)`` is (module doc); the
    ranges' own checks (min <= max, hue within +-0.5, p in [0, 1]) run when it is validated."""
    args = _checked(kwargs)
    p = args["p"]

    def maybe(op: dict[str, Any]) -> dict[str, Any]:
        return {"op": "random_apply", "p": p, "ops": [op]}

    contrast = maybe({"op": "contrast", "factor": args["contrast"]})
    middle = [
        maybe({"op": "saturation", "factor": args["saturation"]}),
        maybe({"op": "hue", "factor": args["hue"]}),
    ]
    return {
        "op": "compose",
        "ops": [
            maybe({"op": "brightness", "factor": args["brightness"]}),
            {
                "op": "random_choice",
                "ops": [
                    {"op": "compose", "ops": [contrast, *middle]},
                    {"op": "compose", "ops": [*middle, contrast]},
                ],
            },
            maybe({"op": "channel_permutation"}),
        ],
    }


def expand_node(node: dict[str, Any]) -> dict[str, Any]:
    """A spec entry ``{op: RandomPhotometricDistort, ...}`` as its ``compose``."""
    return expand({k: v for k, v in node.items() if k != "op"})


def _plain(value: Any) -> Any:
    """Model dumps and tuples as plain lists (a round trip through JSON gives lists too)."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def collapse(op: dict[str, Any]) -> dict[str, Any]:
    """The class's keyword arguments that expand to ``op``; ValueError where ``op`` is another
    composition."""
    try:
        brightness = op["ops"][0]
        p = brightness["p"]
        branch = op["ops"][1]["ops"][0]["ops"]
        kwargs = {
            "brightness": _plain(brightness["ops"][0]["factor"]),
            "contrast": _plain(branch[0]["ops"][0]["factor"]),
            "saturation": _plain(branch[1]["ops"][0]["factor"]),
            "hue": _plain(branch[2]["ops"][0]["factor"]),
            "p": p,
        }
    except (KeyError, IndexError, TypeError):
        kwargs = {}
    if not kwargs or _plain(expand(kwargs)) != _plain(_canonical(op)):
        raise ValueError(
            f"{CLASS}: Expected the compose a RandomPhotometricDistort expands to (augspec/ops/"
            "distort.py); received another composition"
        )
    return kwargs


def _canonical(op: dict[str, Any]) -> dict[str, Any]:
    """``op`` without the fields a dump adds at their defaults (random_choice's ``p: None``)."""
    out = {
        k: v for k, v in op.items() if not (k == "p" and v is None and op["op"] == "random_choice")
    }
    if "ops" in out:
        out["ops"] = [_canonical(child) for child in out["ops"]]
    return out


class DistortEntry(BaseModel):
    """``{op: RandomPhotometricDistort, ...}`` in the JSON Schema (v2's arguments and defaults).
    Never a model of a loaded spec: reading expands it to its ``compose`` first."""

    model_config = ConfigDict(extra="forbid", title=CLASS)

    op: Literal["RandomPhotometricDistort"]
    brightness: tuple[float, float] = (0.875, 1.125)
    contrast: tuple[float, float] = (0.5, 1.5)
    saturation: tuple[float, float] = (0.5, 1.5)
    hue: tuple[float, float] = (-0.05, 0.05)
    p: float = 0.5

    @model_validator(mode="before")
    @classmethod
    def _expanded_first(cls, value: Any) -> Any:
        raise ValueError(
            f"Expected {CLASS} expanded to its compose when the spec is read "
            "(augspec.conventions.translate_data: validate_data, load, Pipeline.model_validate "
            "of the data); received it unexpanded"
        )
