"""The plot: its curves are the schedules, its marks the phases, its text inside the image."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import warmcos

pytest.importorskip("matplotlib")

from matplotlib.colors import to_rgb
from matplotlib.image import imread

from warmcos.plotting import figure, save

RESTARTS = warmcos.cosine_restarts(
    peak=0.1, first_cycle=100, floor=0.001, cycle_mult=1.5, gamma=0.8, warmup=10
)
COSINE = warmcos.cosine(peak=0.1, steps=400, floor=0.001, warmup=10)
MULTISTEP = warmcos.multistep(0.1, [100, 200, 300], gamma=0.3)


def by_gid(fig: Any, prefix: str) -> list[Any]:
    ax = fig.axes[0]
    return [a for a in [*ax.get_lines(), *ax.patches] if str(a.get_gid()).startswith(prefix)]


def test_each_line_is_exactly_its_schedule() -> None:
    schedules = [("restarts", RESTARTS), ("cosine", COSINE), ("multistep", MULTISTEP)]
    fig = figure(schedules)
    horizon = 457  # the restarts' three cycles: 0, 100, 245, 457 (the longest default)
    for index, (label, schedule) in enumerate(schedules):
        (line,) = by_gid(fig, f"schedule-{index}")
        assert line.get_label() == label
        x = np.asarray(line.get_xdata(), dtype=np.float64)
        y = np.asarray(line.get_ydata(), dtype=np.float64)
        assert x[0] == 0 and x[-1] == horizon and np.all(np.diff(x) > 0)
        np.testing.assert_array_equal(y, schedule(x))
    # Jumps are sampled on both sides: the multistep drop at 100 is a vertical edge.
    (line,) = by_gid(fig, "schedule-2")
    x = np.asarray(line.get_xdata())
    at = int(np.searchsorted(x, 100.0))
    assert x[at] == 100.0 and x[at - 1] == np.nextafter(100.0, 0)


def test_warm_up_spans_and_restart_lines() -> None:
    fig = figure([("restarts", RESTARTS)])
    spans = []
    for patch in by_gid(fig, "warm-up-0"):
        xs = patch.get_patch_transform().transform(patch.get_path().vertices)[:, 0]
        spans.append((float(xs.min()), float(xs.max())))
    assert sorted(spans) == [(0, 10), (100, 110), (245, 255)]
    restarts = sorted(float(line.get_xdata()[0]) for line in by_gid(fig, "restart-0"))
    assert restarts == [100, 245]  # 457 is the right edge of the plot
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["restarts", "warm-up", "restart"]


def test_axes_titles_log_scale_and_epoch_axis() -> None:
    fig = figure([("cosine", COSINE)], log=True, steps_per_epoch=50, steps=800)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    assert ax.get_xlim() == (0, 800)
    assert "step" in ax.get_xlabel() and "learning rate" in ax.get_ylabel()
    assert ax.get_title() == "Learning-rate schedule"
    (epochs,) = ax.child_axes
    assert epochs.get_xlabel() == "epoch (50 steps each)"
    (line,) = by_gid(fig, "schedule-0")
    np.testing.assert_array_equal(line.get_ydata(), COSINE(np.asarray(line.get_xdata())))


@pytest.mark.parametrize("size", [(640, 400), (1234, 567)])
def test_png_has_the_asked_size_and_no_text_outside(tmp_path: Path, size: tuple[int, int]) -> None:
    long_label = repr(RESTARTS) + " with a long name that has to wrap in the legend"
    fig = figure([(long_label, RESTARTS), ("cosine", COSINE)], steps_per_epoch=100, size=size)
    path = tmp_path / "plot.png"
    save(fig, path)
    image = imread(path)
    assert image.shape[:2] == (size[1], size[0])
    # Nothing is cut at the edges: the outermost pixels are all background.
    border = np.concatenate([image[:2].reshape(-1, 4), image[-2:].reshape(-1, 4)])
    border = np.concatenate([border, image[:, :2].reshape(-1, 4), image[:, -2:].reshape(-1, 4)])
    assert np.all(border == 1.0)
    # The title, axis labels and legend lie inside the image, the legend below the axes.
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    texts = [ax.title, ax.xaxis.label, ax.yaxis.label, ax.child_axes[0].xaxis.label]
    texts += list(fig.legends[0].get_texts())
    for text in texts:
        box = text.get_window_extent(renderer)
        assert box.x0 >= 0 and box.y0 >= 0, text.get_text()
        assert box.x1 <= size[0] and box.y1 <= size[1], text.get_text()
    legend = fig.legends[0].get_window_extent(renderer)
    assert legend.y1 <= ax.get_window_extent(renderer).y0


def test_png_pixels_follow_the_curve(tmp_path: Path) -> None:
    """Read the curve's colour back from pixel columns at known steps."""
    fig = figure([("cosine", COSINE)], size=(800, 500))
    path = tmp_path / "curve.png"
    save(fig, path)
    image = imread(path)[:, :, :3]
    ax = fig.axes[0]
    (line,) = by_gid(fig, "schedule-0")
    color = np.array(to_rgb(line.get_color()))
    height = image.shape[0]
    box = ax.get_window_extent()
    for step in (60, 150, 250, 350, 420):  # where the curve is far from vertical
        x, y = ax.transData.transform((step, COSINE(step)))
        column = image[:, round(x), :]
        near = np.flatnonzero(np.abs(column - color).max(axis=1) < 0.08)
        # Only rows inside the axes (the legend's sample line has the same colour).
        near = near[(near > height - box.y1) & (near < height - box.y0)]
        assert near.size, f"no curve pixel at step {step}"
        assert abs(near.mean() - (height - y)) <= 3, step


@pytest.mark.parametrize(("suffix", "magic"), [(".svg", b"<?xml"), (".pdf", b"%PDF")])
def test_vector_formats_by_extension(tmp_path: Path, suffix: str, magic: bytes) -> None:
    path = tmp_path / f"plot{suffix}"
    save(figure([("cosine", COSINE)]), path)
    assert path.read_bytes().startswith(magic)


def test_save_is_all_or_nothing(tmp_path: Path) -> None:
    class Failing:
        def savefig(self, stream: Any, **_: Any) -> None:
            stream.write(b"\x89PNG half")
            raise RuntimeError("renderer died")

    path = tmp_path / "plot.png"
    with pytest.raises(RuntimeError):
        save(Failing(), path)  # type: ignore[arg-type]
    assert os.listdir(tmp_path) == []
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        save(Failing(), path)  # type: ignore[arg-type]
    assert os.listdir(tmp_path) == ["plot.png"] and path.read_bytes() == b"old"


def test_save_refuses_bad_paths(tmp_path: Path) -> None:
    fig = figure([("cosine", COSINE)])
    with pytest.raises(ValueError, match=r"must end in \.png, \.svg or \.pdf"):
        save(fig, tmp_path / "plot.jpg")
    with pytest.raises(OSError, match=r"cannot write .*No such file"):
        save(fig, tmp_path / "missing" / "plot.png")
    (tmp_path / "folder.png").mkdir()
    with pytest.raises(OSError, match="is a directory"):
        save(fig, tmp_path / "folder.png")
    assert sorted(os.listdir(tmp_path)) == ["folder.png"]
