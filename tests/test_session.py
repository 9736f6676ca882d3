"""core.session: the Qt-free session the window observes (open, reload, close, current)."""

from __future__ import annotations

from lockpickle_gui.core.session import Session


def test_open_reload_close_emit_events_and_keep_the_current_project(tmp_path, tiny_model):
    first, second = tmp_path / "first.keras", tmp_path / "second.keras"
    tiny_model.save(first)
    tiny_model.save(second)
    session = Session()
    seen = []
    session.events.opened.connect(lambda e: seen.append(("opened", e.name)))
    session.events.replaced.connect(lambda old, new: seen.append(("replaced", old.name, new.name)))
    session.events.closed.connect(lambda e: seen.append(("closed", e.name)))
    session.events.current_changed.connect(
        lambda e: seen.append(("current", e.name if e else None))
    )

    a = session.open(first)
    b = session.open(second)
    assert session.current is b and [e.name for e in session.projects] == ["first", "second"]
    assert session.find(first) is a and a.tree.keras["class"] == "Sequential"
    again = session.reload(a)
    assert session.projects == [again, b] and session.current is again
    session.close(again)
    assert session.projects == [b] and session.current is b
    session.close()
    assert session.projects == [] and session.current is None
    assert seen == [
        ("opened", "first"),
        ("current", "first"),
        ("opened", "second"),
        ("current", "second"),
        ("replaced", "first", "first"),
        ("current", "first"),
        ("closed", "first"),
        ("current", "second"),
        ("closed", "second"),
        ("current", None),
    ]


def test_a_failing_observer_does_not_silence_the_others(tmp_path, tiny_model):
    tiny_model.save(tmp_path / "m.keras")
    session = Session()
    heard = []
    session.events.opened.connect(lambda e: 1 / 0)
    session.events.opened.connect(lambda e: heard.append(e.name))
    session.open(tmp_path / "m.keras")
    assert heard == ["m"]
