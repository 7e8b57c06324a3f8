"""Converting other libraries' schedulers to warmcos schedules, and recording any schedule.

The public names are :func:`warmcos.convert`, :func:`warmcos.conversion` (with
:class:`Conversion`), :func:`warmcos.trace` and :class:`warmcos.Traced`. One reader module per
peer library (see :mod:`warmcos._convert.reading`) is imported only when an object is converted,
so importing this package imports no framework.
"""

from .convert import Conversion, conversion, convert
from .traced import Traced, trace

__all__ = ["Conversion", "Traced", "conversion", "convert", "trace"]
