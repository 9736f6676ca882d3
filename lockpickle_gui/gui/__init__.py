"""The Qt shell: the only package that imports PySide6. It adds no logic of its own."""
