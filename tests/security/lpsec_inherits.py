"""A trusted class whose __new__/__init__/__setstate__ come from untrusted code (importing
this module imports the canary: trusting a module runs its import, nothing more)."""

from lpcanary import Boom


class Inherits(Boom):
    pass
