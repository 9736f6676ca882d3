"""Each menu's Alt letters are unique: with two items on one letter, pressing it only moves
between them (Edit's Alt+F went to Find… and Preferences… in turn and opened neither)."""

from __future__ import annotations

import re
from collections import Counter


def test_menu_mnemonics_are_unique(window):
    for name, menu in window.menus.items():
        letters = [
            match.group(1).lower()
            for action in menu.actions()
            if (match := re.search(r"&([^&\s])", action.text().replace("&&", "")))
        ]
        clashes = [letter for letter, count in Counter(letters).items() if count > 1]
        assert not clashes, (name, clashes, [a.text() for a in menu.actions()])
