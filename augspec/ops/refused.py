"""Framework classes no spec can hold, and what to write instead.

A spec naming one (``{op: Lambda}``) is refused at load with this message
(:mod:`augspec.ops` puts a refusing branch for each in the union, left out of the JSON Schema);
``augspec ops`` lists them as refused.
"""

from __future__ import annotations

from typing import Final

_ARBITRARY = (
    "it runs arbitrary Python code, which no spec can express, replay on another framework or "
    "compare; write what it does as augspec ops (`augspec ops` lists them), or apply it outside "
    "the spec"
)

# class name -> why it is refused and the alternative
REFUSED: Final[dict[str, str]] = {
    "Lambda": f"Lambda: {_ARBITRARY}",
    "Sequential": (
        "Sequential: it holds arbitrary Gluon Blocks, which no spec can express; write its "
        "transforms as a compose (Gluon's transforms.Compose)"
    ),
    "LinearTransformation": (
        "LinearTransformation: its matrix has (3 x height x width)^2 entries for one image size "
        "(a 32x32 image: 9.4 million numbers), more than a spec file holds (augspec.reading caps "
        "a file at 100000 values) and tied to one size; apply the whitening to the batch outside "
        "the spec (after the pipeline's to_tensor)"
    ),
    "HybridSequential": (
        "HybridSequential: it holds arbitrary Gluon HybridBlocks, which no spec can express; "
        "write its transforms as a compose (Gluon's transforms.Compose)"
    ),
}
