"""Helpers shared by the parity tests: our curve, and a comparison naming the worst step."""

from __future__ import annotations

from collections.abc import Callable, Sequence

ATOL = 1e-12
"""Float64 parity: the largest absolute difference allowed between a peer's curve and ours."""


def ours(schedule: Callable[[int], float], n: int) -> list[float]:
    """warmcos' values at steps ``0 .. n-1``, checked to be Python floats."""
    values = [schedule(t) for t in range(n)]
    assert all(type(v) is float for v in values)
    return values


def assert_curves_match(peer: Sequence[float], mine: Sequence[float], atol: float = ATOL) -> None:
    """Every step within `atol`; the failure message names the worst step and both values."""
    assert len(peer) == len(mine)
    diffs = [abs(float(p) - o) for p, o in zip(peer, mine, strict=True)]
    worst = max(range(len(diffs)), key=diffs.__getitem__)
    assert diffs[worst] <= atol, (
        f"max |peer - warmcos| = {diffs[worst]:.3e} at step {worst}: "
        f"peer={float(peer[worst])!r}, warmcos={mine[worst]!r}"
    )
