"""The CLI's sub-commands, one module each (see ``lockpickle_gui.cli``)."""
