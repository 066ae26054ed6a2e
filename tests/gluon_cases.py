"""Test helpers for the gluon backend: the native envelope, and the measured cases.

The cases (``CASES``) and ``edge_images()`` live in :mod:`augspec.benchmarks.gluon_cases`,
shared with :mod:`augspec.benchmarks.measure_gluon`, so the envelopes are measured on the
same cases the tests check; they are re-exported here.
"""

from __future__ import annotations

from augspec.benchmarks.gluon_cases import CASES, diff_255, edge_images, hw

from augspec.contract import Tolerance

__all__ = ["CASES", "NATIVE_ENVELOPE", "diff_255", "edge_images", "hw"]

# What fidelity="native" measured against the reference over the photo, the edge cases and
# 8 seeds (benchmarks/measure_gluon.py), rounded up a little: the regression envelope of the
# native classes. Ops not listed measured within their stated tolerance (the records').
NATIVE_ENVELOPE: dict[str, Tolerance] = {
    # Unwritten middle column/row on odd sizes (stale memory): any value there.
    "horizontal_flip": Tolerance(255.0, 0.5),
    "vertical_flip": Tolerance(255.0, 0.5),
    # OpenCV resize: no antialiasing when shrinking, nearest at floor(i*in/out),
    # cubic a=-0.75 (and a 1x1 box upscaled differs nowhere, a 224 crop a lot).
    "random_resized_crop": Tolerance(255.0, 2.0),
    "resize": Tolerance(255.0, 1.0),
    # Offset int((W-w)/2) vs round((W-w)/2): whole-image one-pixel shifts.
    "center_crop": Tolerance(255.0, 16.0),
    # saturate_cast truncates: every value may be 1 lower than the spec's rounding.
    "brightness": Tolerance(1.0, 0.5),
    "contrast": Tolerance(1.0, 0.5),
    # Grey level 0.114*B only (the loop assigns instead of summing).
    "saturation": Tolerance(200.0, 25.0),
    # HLS rotation in float32, truncated.
    "hue": Tolerance(1.0, 0.4),
    # The saturation bug and truncation, composed in random order.
    "color_jitter": Tolerance(100.0, 8.0),
    "lighting": Tolerance(1.0, 0.5),
    # imrotate's grid is 0/0 on a side of one pixel (the 1x1 edge image: mean 185); exact else.
    "rotation": Tolerance(255.0, 190.0),
}
