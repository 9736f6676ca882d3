"""A module no test trusts: importing it, or running any of its code, leaves a canary file.

A hostile snapshot names it; the adversarial tests check the canary never appears.
"""

import os
from pathlib import Path


def _sing(what: str) -> None:
    target = os.environ.get("LPCANARY_FILE")
    if target:
        with open(target, "a") as handle:
            handle.write(what + "\n")


_sing("imported")


class Boom:
    def __new__(cls, *args, **kwargs):
        _sing("Boom.__new__")
        return super().__new__(cls)

    def __init__(self, *args, **kwargs):
        _sing("Boom.__init__")

    def __setstate__(self, state):
        _sing("Boom.__setstate__")


def boom(*args, **kwargs):
    _sing("boom()")


system = os.system  # a re-exported name: never resolvable as canary's own
Path = Path
