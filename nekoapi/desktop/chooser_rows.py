"""How many files the GTK file chooser shows selected, read from its pixels.

After a drop GTK loads the folder asynchronously: pressing Ctrl+A before the
listing has every file selects only the rows already there (one upload lost).
The chooser says nothing over X about its rows, so we count them on screen:
the selected rows form one band of the selection colour down the file list,
and each row has an icon at its left (a run of non-selection pixels).
"""

from __future__ import annotations

import mss
import numpy as np

# Where the file list's icons sit, from the list's left edge (GTK 3, Adwaita).
ICON_SPAN = (6, 26)


def selected_rows(display_name: str, box: tuple[int, int, int, int]) -> int:
    """The rows drawn selected in the dialog at ``box`` (x, y, width, height of the screen)."""
    x, y, width, height = box
    with mss.MSS(display=display_name.encode()) as grabber:
        shot = grabber.grab({"left": x, "top": y, "width": width, "height": height})
    rgb = np.frombuffer(shot.bgra, dtype=np.uint8).reshape(shot.height, shot.width, 4)[:, :, 2::-1]
    return count_rows(_is_selection(rgb))


def _is_selection(rgb: np.ndarray) -> np.ndarray:
    """Adwaita's selection blue (53, 132, 228): strongly blue, not a light tint of it."""
    r, g, b = (rgb[:, :, i].astype(np.int16) for i in range(3))
    return (b - r > 120) & (b > 180) & (g < 170)


def count_rows(selected: np.ndarray) -> int:
    """Rows of the selection band (down the middle) that carry an icon at their left."""
    middle = selected.shape[1] // 2
    band = np.flatnonzero(selected[:, middle])
    if band.size == 0:
        return 0
    left = middle
    while left > 0 and selected[band[0], left - 1]:
        left -= 1
    icons = ~selected[band, left + ICON_SPAN[0] : left + ICON_SPAN[1]].all(axis=1)
    # A new row starts where an icon run starts (or where the band jumps).
    starts = icons & ~np.concatenate(([False], icons[:-1] & (np.diff(band) == 1)))
    return int(starts.sum())
