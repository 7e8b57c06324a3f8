"""A small character-level transformer language model, in plain PyTorch.

Pre-norm decoder blocks (causal self-attention, then a GELU MLP), learned position embeddings,
about 100k parameters at the default size (width 64, 2 layers, 4 heads, context 64).

Example:
    >>> import torch
    >>> from warmcos.demo.model import CharTransformer
    >>> model = CharTransformer(vocab_size=97, seed=0)
    >>> model(torch.zeros(2, 64, dtype=torch.long)).shape
    torch.Size([2, 64, 97])
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional


class _Block(nn.Module):
    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.norm2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(
            nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, width = x.shape
        q, k, v = self.qkv(self.norm1(x)).split(width, dim=2)
        shape = (batch, length, self.heads, width // self.heads)
        q, k, v = (part.view(shape).transpose(1, 2) for part in (q, k, v))
        attended = functional.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(attended.transpose(1, 2).reshape(batch, length, width))
        mixed: torch.Tensor = self.mlp(self.norm2(x))
        return x + mixed


class CharTransformer(nn.Module):
    """A decoder-only transformer over characters: tokens ``(B, T)`` to logits ``(B, T, V)``.

    Args:
        vocab_size: The number of distinct characters.
        width: The embedding width.
        layers: The number of blocks.
        heads: Attention heads per block (must divide `width`).
        context: The longest input sequence.
        seed: Seeds the initial weights (torch's global random state is left as it was).
    """

    def __init__(
        self,
        vocab_size: int,
        *,
        width: int = 64,
        layers: int = 2,
        heads: int = 4,
        context: int = 64,
        seed: int = 0,
    ) -> None:
        super().__init__()
        if width % heads:
            raise ValueError(
                f"CharTransformer(): `heads` must divide `width`. Received: heads={heads}, "
                f"width={width}"
            )
        self.context = context
        self.embed = nn.Embedding(vocab_size, width)
        self.position = nn.Embedding(context, width)
        self.blocks = nn.Sequential(*(_Block(width, heads) for _ in range(layers)))
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, vocab_size)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self._initialize(layers)

    def _initialize(self, layers: int) -> None:
        # GPT-2's initialization: small normal weights, residual projections scaled by depth.
        for name, parameter in self.named_parameters():
            if parameter.dim() < 2:
                continue
            residual = name.endswith(("proj.weight", "mlp.2.weight"))
            nn.init.normal_(parameter, std=0.02 / math.sqrt(2 * layers) if residual else 0.02)
        for module in self.modules():
            if isinstance(module, nn.Linear) and module.bias is not None:
                nn.init.zeros_(module.bias)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Next-character logits at every position of `tokens` (``(B, T)``, T <= context)."""
        positions = torch.arange(tokens.shape[1], device=tokens.device)
        x = self.embed(tokens) + self.position(positions)
        return self.head(self.norm(self.blocks(x)))  # type: ignore[no-any-return]


def parameter_groups(model: nn.Module, weight_decay: float) -> list[dict[str, object]]:
    """Two AdamW groups: weight decay on the matrices, none on biases, norms and embeddings."""
    decayed: list[nn.Parameter] = []
    plain: list[nn.Parameter] = []
    for name, parameter in model.named_parameters():
        is_matrix = parameter.dim() >= 2 and "embed" not in name and "position" not in name
        (decayed if is_matrix else plain).append(parameter)
    return [
        {"params": decayed, "weight_decay": weight_decay},
        {"params": plain, "weight_decay": 0.0},
    ]


def count_parameters(model: nn.Module) -> int:
    """The number of trainable parameters."""
    return sum(parameter.numel() for parameter in model.parameters() if parameter.requires_grad)
