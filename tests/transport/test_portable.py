"""lp.portable / lp.register / the receiver's trust policy, through plain pickle in one
process: every rule the engines rely on, without the engines."""

from __future__ import annotations

import copy
import io
import pickle
import sys
import threading

import numpy as np
import pytest

import lockpickle_gui as lp
from lockpickle_gui.core import transport
from lockpickle_gui.core.errors import UnpicklableState, UntrustedCode


def check_arrived(arrived, original, expected):
    import locked_service

    assert type(arrived) is locked_service.LockedService and arrived is not original
    assert arrived.lock is not original.lock and arrived.changed._lock is arrived.state_lock
    info = locked_service.use(arrived)  # fresh locks, sharing, Event, Queue, layer lock
    assert np.array_equal(info["outputs"], expected)  # bit-identical


def test_plain_pickle_refuses_the_service(service):
    with pytest.raises(TypeError, match="cannot pickle '_thread.lock' object"):
        pickle.dumps(service)


@pytest.mark.parametrize("protocol", [4, 5])
def test_eager_portable_arrives_as_the_object_itself(service, expected, protocol):
    arrived = pickle.loads(pickle.dumps(lp.portable(service), protocol=protocol))
    check_arrived(arrived, service, expected)


def test_protocol_5_moves_the_snapshot_out_of_band(service, expected):
    sent = lp.portable(service)
    buffers: list[pickle.PickleBuffer] = []
    data = pickle.dumps(sent, protocol=5, buffer_callback=buffers.append)
    # out of band: the model's variables, as they are; in the pickle: manifest, state, config
    weights = service.model.get_weights()
    assert sorted(b.raw().nbytes for b in buffers) == sorted(w.nbytes for w in weights)
    assert len(data) < 16_000
    check_arrived(pickle.loads(data, buffers=buffers), service, expected)


def test_lazy_reference_loads_once_on_first_use_and_repickles_the_same_bytes(service, expected):
    sent = pickle.dumps(lp.portable(service, lazy=True))
    ref = pickle.loads(sent)
    assert isinstance(ref, lp.LazyRef) and not ref.loaded
    # engines probe values (Dask, Ray, IPython): none of this loads the object
    assert not hasattr(ref, "__dask_graph__") and not hasattr(ref, "_repr_html_")
    assert copy.deepcopy(ref) is ref and copy.copy(ref) is ref
    assert pickle.dumps(ref) == sent and not ref.loaded
    assert np.array_equal(ref.predict(_probe(ref)), expected)  # the first use loads it
    assert ref.loaded and ref.get() is ref.get()
    assert pickle.dumps(ref) == sent  # the original bytes, not a new snapshot of the loaded one


def _probe(ref):
    import locked_service

    return locked_service.probe_input(ref.get())


def test_lazy_reference_loads_once_under_concurrent_first_use(service):
    ref = pickle.loads(pickle.dumps(lp.portable(service, lazy=True)))
    seen, start = [], threading.Barrier(4)

    def first_use():
        start.wait()
        seen.append(ref.get())

    threads = [threading.Thread(target=first_use) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(obj) for obj in seen}) == 1


def test_deepcopy_of_a_portable_does_not_snapshot_again(service):
    sent = lp.portable(service, lazy=True)
    config = {"svc": sent, "lr": 0.1}
    assert copy.deepcopy(config)["svc"] is sent  # Tune deep-copies param_space


def test_dask_token_comes_from_the_digest_without_loading(service):
    sent = lp.portable(service, lazy=True)
    ref = pickle.loads(pickle.dumps(sent))
    assert ref.__dask_tokenize__() == sent.__dask_tokenize__()
    assert not ref.loaded


def test_register_makes_the_class_itself_travel(service, expected):
    import locked_service

    lp.register(locked_service.LockedService)
    arrived = pickle.loads(pickle.dumps({"svc": service, "again": service}))
    assert arrived["svc"] is arrived["again"]  # one snapshot, the sharing kept
    check_arrived(arrived["svc"], service, expected)
    lp.unregister(locked_service.LockedService)
    with pytest.raises(TypeError, match="_thread.lock"):
        pickle.dumps(service)


def test_register_does_not_recurse_through_the_snapshots_own_pickler(service, expected):
    """The snapshot's pickler consults copyreg too: inside it, a registered object (here
    the root and one nested in it) is saved, not snapshotted again."""
    import locked_service

    lp.register(locked_service.LockedService)
    service.backup = locked_service.LockedService(service.model, name="backup")
    arrived = pickle.loads(pickle.dumps(service))
    check_arrived(arrived, service, expected)
    assert type(arrived.backup) is locked_service.LockedService
    assert arrived.backup.model is arrived.model


def test_registered_arrival_registers_the_class_for_the_return_trip(service):
    import locked_service

    lp.register(locked_service.LockedService, lazy=False)
    data = pickle.dumps(service)
    lp.unregister(locked_service.LockedService)  # as in a fresh worker process
    arrived = pickle.loads(data)
    assert "locked_service.LockedService" in transport.registered()
    assert type(pickle.loads(pickle.dumps(arrived))) is locked_service.LockedService


def test_what_cannot_travel_is_refused_at_the_call_site_naming_every_path(service, tmp_path):
    service.buffer = io.StringIO()  # data: travels with its contents
    service.worker = threading.Thread(target=print)
    with open(tmp_path / "log.txt", "w") as service.log, pytest.raises(UnpicklableState) as info:
        lp.portable(service)
    assert sorted(path for path, _ in info.value.blocked) == ["root.log", "root.worker"]
    assert "LockedService" in str(info.value) and "lpsnap" not in str(info.value)


def test_receiver_policy_refuses_an_untrusted_type_naming_the_origin(service, monkeypatch):
    data = pickle.dumps(lp.portable(service, label="fraud detector"))
    monkeypatch.setenv(transport.TRUST_ENV, "someone_else.*")
    arrived = pickle.loads(data)  # refused inside the engine's unpickling: raise on first use
    assert isinstance(arrived, transport.Unavailable)
    with pytest.raises(UntrustedCode) as info:
        arrived.predict()
    message = str(info.value)
    assert "'fraud detector' (locked_service.LockedService)" in message
    assert "LOCKPICKLE_TRUST" in message and info.value.module == "locked_service"
    assert "lpsnap" not in message and "/tmp" not in message and "/dev/shm" not in message
    again = pickle.loads(pickle.dumps(info.value))  # errors keep their type across processes
    assert type(again) is UntrustedCode and again.module == "locked_service"
    assert str(again) == message


def test_set_trust_overrides_the_environment_and_allows_by_type(service, expected, monkeypatch):
    data = pickle.dumps(lp.portable(service))
    monkeypatch.setenv(transport.TRUST_ENV, "")
    with pytest.raises(UntrustedCode, match="the LOCKPICKLE_TRUST environment variable"):
        pickle.loads(data).check()
    lp.set_trust(["locked_service.LockedService"])
    check_arrived(pickle.loads(data), service, expected)
    lp.set_trust([])
    with pytest.raises(UntrustedCode, match=r"lp\.set_trust\(\) does not allow"):
        pickle.loads(data)()


def test_sender_trust_list_limits_what_the_receiver_rebuilds(service):
    data = pickle.dumps(lp.portable(service, trust=["other_package"]))
    with pytest.raises(UntrustedCode, match="the sender trusted only other_package"):
        pickle.loads(data).check()


def test_lazy_refusal_happens_on_first_use_not_on_arrival(service, monkeypatch):
    data = pickle.dumps(lp.portable(service, lazy=True))
    monkeypatch.setenv(transport.TRUST_ENV, "nothing_here")
    ref = pickle.loads(data)
    assert not ref.loaded
    with pytest.raises(UntrustedCode):
        ref.get()


def test_a_missing_engine_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    with pytest.raises(lp.LockpickleError, match=r"pip install 'lockpickle-gui\[ray\]'"):
        transport.require("ray")
    from lockpickle_gui.core.preview.ray_runner import RayRunner

    with pytest.raises(lp.LockpickleError, match=r"lockpickle-gui\[ray\]"):
        RayRunner(model=None, workers=1, name="x")
