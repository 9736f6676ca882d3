"""Ship the top-level ``resources/`` tree inside the wheel, as package data.

All metadata lives in pyproject.toml; this file only adds one build step. The resources
(icons, demo projects) stay at the top of the checkout, where people look for them, and
are copied to ``lockpickle_gui/_resources`` in the built wheel, so a non-editable
``pip install .`` (or a wheel from PyPI) finds them through ``lockpickle_gui.resources``.
Editable installs skip the copy: ``resources.py`` reads the checkout's folder directly.
"""

from pathlib import Path
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

RESOURCES = Path(__file__).resolve().parent / "resources"


class BuildWithResources(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False) or not RESOURCES.is_dir():
            return
        target = Path(self.build_lib) / "lockpickle_gui" / "_resources"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(RESOURCES, target,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))


setup(cmdclass={"build_py": BuildWithResources})
