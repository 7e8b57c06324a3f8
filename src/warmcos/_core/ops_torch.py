"""The operations seam on torch tensors (imported only when a tensor is evaluated)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from .ops import Piece, Value, select_pieces


class TorchOps:
    """torch tensors on the device and in the floating dtype of the step tensor.

    Args:
        like: A tensor whose dtype and device the values take.
        horizon: For traced use (Keras' torch backend): a fixed bound on the steps, so the
            restart table needs no ``.item()`` of the steps.
    """

    def __init__(self, like: Any, horizon: float | None = None) -> None:
        self._torch = torch
        self.dtype = like.dtype
        self.device = like.device
        self.horizon = horizon

    def _tensor(self, x: Value) -> Any:
        if isinstance(x, self._torch.Tensor):
            return x
        return self._torch.as_tensor(x, dtype=self.dtype, device=self.device)

    def cos(self, x: Value) -> Value:
        """Elementwise cosine."""
        return self._torch.cos(x)

    def sqrt(self, x: Value) -> Value:
        """Elementwise square root."""
        return self._torch.sqrt(x)

    def log(self, x: Value) -> Value:
        """Elementwise natural logarithm."""
        return self._torch.log(x)

    def floor(self, x: Value) -> Value:
        """Elementwise floor."""
        return self._torch.floor(x)

    def rint(self, x: Value) -> Value:
        """Round half to even."""
        return self._torch.round(x)

    def abs(self, x: Value) -> Value:
        """Elementwise absolute value."""
        return self._torch.abs(x)

    def where(self, condition: Value, if_true: Value, if_false: Value) -> Value:
        """Select elementwise."""
        return self._torch.where(condition, self._tensor(if_true), self._tensor(if_false))

    def minimum(self, a: Value, b: Value) -> Value:
        """Elementwise minimum."""
        return self._torch.minimum(self._tensor(a), self._tensor(b))

    def maximum(self, a: Value, b: Value) -> Value:
        """Elementwise maximum."""
        return self._torch.maximum(self._tensor(a), self._tensor(b))

    def power(self, base: float, exponent: Value) -> Value:
        """``base ** exponent`` in the step's dtype."""
        return self._torch.pow(self._tensor(base), self._tensor(exponent).to(self.dtype))

    def fill(self, like: Value, value: float) -> Value:
        """A tensor of `value` shaped like `like`."""
        return self._torch.full(like.shape, value, dtype=self.dtype, device=self.device)

    def table(self, values: Sequence[float]) -> Value:
        """A tensor on the step's device."""
        return self._torch.tensor(list(values), dtype=self.dtype, device=self.device)

    def bucket(self, table: Value, t: Value) -> Value:
        """Index of the last entry <= each `t`."""
        return self._torch.searchsorted(table, t.contiguous(), right=True) - 1

    def count_at_most(self, table: Value, t: Value) -> Value:
        """How many entries are <= each `t`."""
        return self._torch.searchsorted(table, t.contiguous(), right=True).to(self.dtype)

    def take(self, table: Value, index: Value) -> Value:
        """Gather entries."""
        return table[index]

    def to_float(self, x: Value) -> Value:
        """As the step's dtype."""
        return self._tensor(x).to(self.dtype)

    def upper(self, t: Value) -> float:
        """The largest step (0 for no steps), or the fixed horizon when one was given."""
        if self.horizon is not None:
            return self.horizon
        return float(t.max().item()) if t.numel() else 0.0

    def piecewise(self, t: Value, starts: Sequence[float], pieces: Sequence[Piece]) -> Value:
        """Evaluate every piece on its clipped steps and select."""
        return select_pieces(self, t, starts, pieces, self._torch.clamp)
