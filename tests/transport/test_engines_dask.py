"""The service through a Dask LocalCluster (2 worker processes, one per test run): submit,
scatter to one worker and use on the other, delayed, the worker plugin's trust policy, and
tokenising that never loads the object. The scheduler re-pickles arguments on the way, so
the lazy form is the one to use with Dask (the eager form may hang there: dask/distributed)."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest

import lockpickle_gui as lp
from lockpickle_gui.core import transport
from lockpickle_gui.core.errors import UntrustedCode

pytestmark = pytest.mark.slow
TIMEOUT = 300


def test_dask_submit_with_the_lazy_form(dask_client, service, expected):
    import locked_service

    future = dask_client.submit(locked_service.use, lp.portable(service, lazy=True), pure=False)
    info = future.result(timeout=TIMEOUT)
    assert info["pid"] != os.getpid() and np.array_equal(info["outputs"], expected)


def test_dask_submit_with_a_registered_class(dask_client, service, expected):
    import locked_service

    lp.register(locked_service.LockedService, lazy=True)  # lazy: the scheduler re-pickles
    info = dask_client.submit(locked_service.use, service, pure=False).result(timeout=TIMEOUT)
    assert np.array_equal(info["outputs"], expected)


def test_dask_scatter_to_one_worker_then_use_on_the_other(dask_client, service, expected):
    import locked_service

    first, second = sorted(dask_client.scheduler_info()["workers"])
    [scattered] = dask_client.scatter([lp.portable(service, lazy=True)], workers=[first])
    state = dask_client.submit(locked_service.loaded_state, scattered, workers=[first], pure=False)
    assert state.result(timeout=TIMEOUT)["loaded"] is False  # held there, not loaded
    used = dask_client.submit(locked_service.use, scattered, workers=[second], pure=False)
    assert np.array_equal(used.result(timeout=TIMEOUT)["outputs"], expected)


def test_dask_delayed_and_tokenising_never_load(dask_client, service, expected):
    import dask
    import locked_service

    sent = lp.portable(service, lazy=True)
    assert dask.base.tokenize(sent) == dask.base.tokenize(lp.portable(sent, lazy=True))
    arrived = pickle.loads(pickle.dumps(sent))  # a LazyRef, as a worker holds it
    assert dask.base.tokenize(arrived) == dask.base.tokenize(sent) and not arrived.loaded
    info = dask.delayed(locked_service.use)(sent).compute()
    assert np.array_equal(info["outputs"], expected)


def test_dask_worker_plugin_policy_refuses_an_untrusted_type(dask_client, service):
    import locked_service

    dask_client.register_plugin(transport.dask_worker_plugin(trust=["numpy"]), name="lockpickle")
    try:
        future = dask_client.submit(
            locked_service.use, lp.portable(service, lazy=True, label="scorer"), pure=False
        )
        with pytest.raises(UntrustedCode, match="'scorer' \\(locked_service.LockedService\\)"):
            future.result(timeout=TIMEOUT)
    finally:
        dask_client.register_plugin(transport.dask_worker_plugin(trust=None), name="lockpickle")
        dask_client.run(transport.set_trust, None)
