"""Measure the gluon backend against the reference, per op, in both fidelities.

For every op: replay the same sampled params with the reference and with
gluon (fidelity "native" and "spec") on the bundled photo and the synthetic
edge cases (:mod:`augspec.benchmarks.gluon_cases`), 8 seeds each; print max and mean absolute
difference in 0-255 units (tensors after *255) as a markdown table.

    python -m augspec.benchmarks.measure_gluon [--seeds 8] [--small]
"""

from __future__ import annotations

import argparse

import numpy as np
from augspec.backends import gluon
from augspec.benchmarks.gluon_cases import CASES, diff_255, edge_images, hw

import augspec
from augspec.images import load_image
from augspec.reference import resize as reference_resize


def measure(seeds: int, small: bool) -> dict[str, dict[str, tuple[float, float]]]:
    photo = load_image()
    if small:
        photo = reference_resize(photo, (150, 128), "bilinear")
    images = {"photo": photo, **edge_images()}
    table: dict[str, dict[str, tuple[float, float]]] = {}
    for op_name, cases in CASES.items():
        stats = {f: [0.0, 0.0, 0] for f in ("native", "spec")}  # max, sum, count
        for ops in cases:
            spec = augspec.validate_data({"ops": ops})
            for image in images.values():
                for seed in range(seeds):
                    try:
                        params = augspec.sample(spec, seed, image_size=hw(image))
                    except ValueError:
                        continue  # the op cannot take this image size (e.g. crop > image)
                    ref = augspec.replay(spec, params, image)
                    for fidelity, acc in stats.items():
                        out = gluon.to_numpy(gluon.replay(spec, params, image, fidelity))
                        d = diff_255(out, ref)
                        acc[0] = max(acc[0], float(d.max()))
                        acc[1] += float(d.sum())
                        acc[2] += d.size
        table[op_name] = {f: (a[0], a[1] / max(a[2], 1)) for f, a in stats.items()}
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--small", action="store_true", help="downsize the photo to 150x128")
    args = parser.parse_args()
    table = measure(args.seeds, args.small)
    print("| op | native max | native mean | spec max | spec mean |")
    print("|---|---|---|---|---|")
    for op_name, row in table.items():
        (nmax, nmean), (smax, smean) = row["native"], row["spec"]
        print(f"| {op_name} | {nmax:.4g} | {nmean:.4f} | {smax:.4g} | {smean:.4f} |")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
