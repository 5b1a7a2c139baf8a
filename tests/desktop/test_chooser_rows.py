"""Counting the chooser's selected rows from its pixels (the fill waits for all uploads to be listed)."""

from __future__ import annotations

import numpy as np
import pytest

from nekoapi.desktop.chooser_rows import count_rows

pytestmark = pytest.mark.desktop
ROW = 23


def listing(selected: int, shown: int) -> np.ndarray:
    """A 400x300 list: ``shown`` rows with an icon each, the first ``selected`` of them selected."""
    mask = np.zeros((300, 400), dtype=bool)
    for row in range(shown):
        top = 30 + row * ROW
        if row < selected:
            mask[top : top + ROW, 50:] = True
            mask[top + 3 : top + 19, 58:70] = False  # the icon
    return mask


@pytest.mark.parametrize(("selected", "shown"), [(0, 2), (1, 2), (2, 2), (3, 5)])
def test_the_selected_rows_are_counted(selected: int, shown: int) -> None:
    assert count_rows(listing(selected, shown)) == selected
