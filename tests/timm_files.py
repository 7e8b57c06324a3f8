"""timm's scheduler classes, loaded from their files without importing timm.

``import timm`` imports torchvision, which need not import beside this CPU torch, so the tests
load ``timm/scheduler/*.py`` by path as the package ``_timm_scheduler``. ``multistep_lr.py``
imports its base class as ``timm.scheduler.scheduler``: while it loads, stand-in ``timm`` and
``timm.scheduler`` packages point that name at the already loaded file, and are removed again.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from pathlib import Path
from typing import Any

import pytest

PACKAGE = "_timm_scheduler"
FILES = {
    "CosineLRScheduler": "cosine_lr",
    "TanhLRScheduler": "tanh_lr",
    "PolyLRScheduler": "poly_lr",
    "StepLRScheduler": "step_lr",
    "MultiStepLRScheduler": "multistep_lr",
    "PlateauLRScheduler": "plateau_lr",
}


def _folder() -> Path:
    spec = importlib.util.find_spec("timm")  # finds the folder, imports nothing
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("timm is not installed (pip install --no-deps timm)")
    return Path(next(iter(spec.submodule_search_locations))) / "scheduler"


def _load(file: str) -> types.ModuleType:
    name = f"{PACKAGE}.{file}"
    if name in sys.modules:
        return sys.modules[name]
    if file != "multistep_lr":
        return importlib.import_module(name)
    base = importlib.import_module(f"{PACKAGE}.scheduler")
    stand_ins = {"timm": types.ModuleType("timm"), "timm.scheduler": types.ModuleType("t.s")}
    stand_ins["timm.scheduler.scheduler"] = base
    taken = {key: sys.modules[key] for key in stand_ins if key in sys.modules}
    sys.modules.update(stand_ins)
    try:
        return importlib.import_module(name)
    finally:
        for key in stand_ins:
            del sys.modules[key]
        sys.modules.update(taken)


def timm_schedulers(*names: str) -> types.SimpleNamespace:
    """The classes `names` (all six by default), keyed by their file's stem (``cosine_lr``...).

    Skips the calling test when timm is not installed or its files do not load on their own.
    """
    package = types.ModuleType(PACKAGE)
    package.__path__ = [str(_folder())]
    sys.modules.setdefault(PACKAGE, package)
    classes: dict[str, Any] = {}
    for name in names or FILES:
        try:
            classes[FILES[name]] = getattr(_load(FILES[name]), name)
        except Exception as error:  # a newer timm may import more than these files
            pytest.skip(f"timm's scheduler files do not load on their own: {error}")
    return types.SimpleNamespace(**classes)
