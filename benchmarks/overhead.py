"""How much a warmcos schedule costs per evaluation, relative to the bare cosine it wraps.

Run from a clone with warmcos installed:

    python benchmarks/overhead.py            # best of 7 repeats
    python benchmarks/overhead.py --repeat 3 # quicker, noisier

(a) Scalar path: one step, `s(1234)` and `s(1234.5)`, against one `math.cos(x)` call.
(b) NumPy path: `s(np.arange(10**7))` against `np.cos` over the same array; "cosine (whole run)"
    is a cosine whose decay spans all 10**7 steps, so that it evaluates a cosine at every step
    as the restarts do (the 10,000-step cosine mostly holds its floor).
(c) Targets: scalar within 10x `math.cos`; NumPy within 3x `np.cos`; restarts within 1.3x of
    the cosine, per step and on NumPy. The last lines print each as met or missed.
Each baseline is measured in the same run, so the ratios compare like with like on this machine.
"""

from __future__ import annotations

import argparse
import math
import platform
from importlib import metadata

import numpy as np
from timing import best_per_call, fmt_time

import warmcos

ARRAY_STEPS = 10**7


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="best of this many repeats")
    args = parser.parse_args()
    repeat: int = args.repeat

    schedules = {
        "cosine": warmcos.cosine(peak=0.1, steps=10_000, floor=0.001, warmup=500),
        "cosine_restarts": warmcos.cosine_restarts(
            peak=0.1, first_cycle=100, floor=0.001, cycle_mult=1.5, gamma=0.8, warmup=10
        ),
    }

    print(
        f"warmcos {metadata.version('warmcos')}, numpy {np.__version__}, "
        f"Python {platform.python_version()} on {platform.machine()}"
    )
    print(f"best of {repeat} repeats\n")
    print(f"{'name':<34} {'time':>11}  {'ratio':>8}")

    def row(name: str, seconds: float, baseline: float) -> None:
        print(f"{name:<34} {fmt_time(seconds):>11}  {seconds / baseline:>7.1f}x")

    # (a) scalar path
    scalar: dict[str, float] = {}
    base = best_per_call("cos(x)", {"cos": math.cos, "x": 1.234}, repeat)
    row("math.cos(x)  [scalar baseline]", base, base)
    for name, s in schedules.items():
        for t in (1234, 1234.5):
            seconds = best_per_call("s(t)", {"s": s, "t": t}, repeat)
            scalar[f"{name}({t})"] = seconds / base
            row(f"{name}({t})", seconds, base)

    # (b) NumPy path
    steps = np.arange(ARRAY_STEPS)
    base = best_per_call("cos(steps)", {"cos": np.cos, "steps": steps}, repeat, number=1)
    row("np.cos(arange(10**7)) [baseline]", base, base)
    whole = warmcos.cosine(peak=0.1, steps=ARRAY_STEPS, floor=0.001, warmup=500)
    arrays: dict[str, float] = {}
    for name, s in {**schedules, "cosine (whole run)": whole}.items():
        seconds = best_per_call("s(steps)", {"s": s, "steps": steps}, repeat, number=1)
        arrays[name] = seconds / base
        row(f"{name}(arange(10**7))", seconds, base)

    # (c) targets
    print()
    worst_scalar = max(scalar.values())
    worst_array = max(arrays.values())
    restarts_per_step = max(
        scalar[f"cosine_restarts({t})"] / scalar[f"cosine({t})"] for t in (1234, 1234.5)
    )
    restarts_array = arrays["cosine_restarts"] / arrays["cosine (whole run)"]
    for label, value, target in (
        ("scalar vs math.cos (worst)", worst_scalar, 10.0),
        ("NumPy vs np.cos (worst)", worst_array, 3.0),
        ("restarts vs cosine per step", restarts_per_step, 1.3),
        ("restarts vs cosine on NumPy", restarts_array, 1.3),
    ):
        verdict = "met" if value <= target else f"missed by {value / target - 1:.0%}"
        print(f"{label:<34} {value:>6.2f}x  target {target:.1f}x: {verdict}")


if __name__ == "__main__":
    main()
