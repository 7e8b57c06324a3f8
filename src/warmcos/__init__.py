"""Learning-rate schedules built around cosine annealing with warm-up and warm restarts.

Each schedule is defined once, as a pure function of the step, and evaluates on a Python number
(float64), a NumPy array or a torch tensor with the same formula. Importing ``warmcos`` imports no
deep-learning framework.

Example:
    >>> import warmcos
    >>> s = warmcos.cosine(peak=3e-4, steps=10_000, warmup=500)
    >>> s(0), s(500), s(10_000)
    (0.0, 0.0003, 0.0)
"""

from ._convert import Conversion, Traced, conversion, convert, trace
from ._core.baselines import Constant, Exponential, Linear, MultiStep, Step
from ._core.budget import ChangedBudget, decay_now
from ._core.cosine import Cosine
from ._core.cyclic import Cyclic
from ._core.inverse import InverseSqrt, InverseTime
from ._core.join import Join
from ._core.noise import Noisy
from ._core.onecycle import OneCycle
from ._core.piecewise import Interpolate, PiecewiseConstant
from ._core.plateau import Plateau
from ._core.polynomial import Polynomial
from ._core.product import Product, Scaled
from ._core.ramp import Ramp
from ._core.restarts import CosineRestarts
from ._core.schedule import Schedule, from_dict
from ._core.segments import Segment
from ._core.spec import parse
from ._core.tanh import Tanh
from ._core.warmup import Warmup
from ._core.wsd import WSD

__version__ = "0.1.0"

# The public factories are the classes themselves, under the spec names used by `repr`,
# `to_dict` and `parse`.
cosine = Cosine
cosine_restarts = CosineRestarts
constant = Constant
linear = Linear
step = Step
multistep = MultiStep
exponential = Exponential
wsd = WSD
join = Join
ramp = Ramp
change_budget = ChangedBudget
polynomial = Polynomial
plateau = Plateau
noisy = Noisy
inverse_sqrt = InverseSqrt
inverse_time = InverseTime
piecewise_constant = PiecewiseConstant
interpolate = Interpolate
one_cycle = OneCycle
cyclic = Cyclic
tanh = Tanh
warmup = Warmup

__all__ = [
    "WSD",
    "ChangedBudget",
    "Constant",
    "Conversion",
    "Cosine",
    "CosineRestarts",
    "Cyclic",
    "Exponential",
    "Interpolate",
    "InverseSqrt",
    "InverseTime",
    "Join",
    "Linear",
    "MultiStep",
    "Noisy",
    "OneCycle",
    "PiecewiseConstant",
    "Plateau",
    "Polynomial",
    "Product",
    "Ramp",
    "Scaled",
    "Schedule",
    "Segment",
    "Step",
    "Tanh",
    "Traced",
    "Warmup",
    "__version__",
    "change_budget",
    "constant",
    "conversion",
    "convert",
    "cosine",
    "cosine_restarts",
    "cyclic",
    "decay_now",
    "exponential",
    "from_dict",
    "interpolate",
    "inverse_sqrt",
    "inverse_time",
    "join",
    "linear",
    "multistep",
    "noisy",
    "one_cycle",
    "parse",
    "piecewise_constant",
    "plateau",
    "polynomial",
    "ramp",
    "step",
    "tanh",
    "trace",
    "warmup",
    "wsd",
]
