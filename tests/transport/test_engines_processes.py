"""The service crosses multiprocessing.Pool, ProcessPoolExecutor and joblib/loky, in each
form (eager portable, lazy portable, lp.register), and comes back; an untrusted type is
refused in the worker. Workers are spawned (they import TensorFlow: a few seconds each)."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

import lockpickle_gui as lp
from lockpickle_gui.core.errors import UntrustedCode

FORMS = ["eager", "lazy", "register"]
# max_nbytes: joblib memory-maps arrays above 1 KiB (default 1 MiB), so the test service's
# small snapshot is memory-mapped like a real model's would be
LOKY = {"backend": "loky", "n_jobs": 2, "max_nbytes": 1024, "mmap_mode": "r"}


def sendable(service, form):
    import locked_service

    if form == "register":
        lp.register(locked_service.LockedService)
        return service
    return lp.portable(service, lazy=form == "lazy")


def check_result(info, expected, parent_pid):
    assert info["pid"] != parent_pid
    assert np.array_equal(info["outputs"], expected)


@pytest.fixture(scope="module")
def spawn_pool():
    from lockpickle_gui.core.transport import setup_worker

    with multiprocessing.get_context("spawn").Pool(
        1, initializer=setup_worker, initargs=(None, ["locked_service.LockedService"])
    ) as pool:
        yield pool
        pool.close()
        pool.join()


@pytest.fixture(scope="module")
def executor():
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as ex:
        ex.submit(int).result()  # its helper threads start now, not inside the first test
        yield ex


@pytest.mark.slow
@pytest.mark.parametrize("form", FORMS)
def test_multiprocessing_pool_round_trip(spawn_pool, service, expected, form):
    import os

    import locked_service

    arg = sendable(service, form)
    check_result(spawn_pool.apply(locked_service.use, (arg,)), expected, os.getpid())
    # the return trip: the worker registered the class (initializer), so it can send it back
    back = spawn_pool.apply(locked_service.use_and_return, (arg,))
    back = back.get() if isinstance(back, lp.LazyRef) else back
    assert np.array_equal(locked_service.use(back)["outputs"], expected)


@pytest.mark.slow
@pytest.mark.parametrize("form", FORMS)
def test_process_pool_executor_round_trip(executor, service, expected, form):
    import os

    import locked_service

    arg = sendable(service, form)
    check_result(executor.submit(locked_service.use, arg).result(), expected, os.getpid())
    if form != "eager":  # lazy comes back as a reference; a registered class re-registers
        back = executor.submit(locked_service.use_and_return, arg).result()
        back = back.get() if isinstance(back, lp.LazyRef) else back
        assert np.array_equal(locked_service.use(back)["outputs"], expected)


@pytest.mark.slow
def test_lazy_reference_arrives_unloaded_in_the_worker(executor, service):
    import locked_service

    state = executor.submit(locked_service.loaded_state, lp.portable(service, lazy=True)).result()
    assert state == {"pid": state["pid"], "type": "LazyRef", "loaded": False}


@pytest.mark.slow
def test_untrusted_type_is_refused_in_the_worker_with_a_clear_error(service):
    import locked_service

    from lockpickle_gui.core.transport import setup_worker

    with ProcessPoolExecutor(
        1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=setup_worker,
        initargs=(["numpy"], ()),
    ) as ex:
        future = ex.submit(locked_service.use, lp.portable(service, lazy=True, label="scorer"))
        with pytest.raises(
            UntrustedCode, match="'scorer' \\(locked_service.LockedService\\)"
        ) as info:
            future.result()
    assert info.value.module == "locked_service" and "LOCKPICKLE_TRUST" in str(info.value)


@pytest.mark.slow
@pytest.mark.parametrize("form", FORMS)
def test_joblib_loky_round_trip(loky_workers, service, expected, form):
    joblib = pytest.importorskip("joblib")
    import os

    import locked_service

    arg = sendable(service, form)
    with joblib.parallel_config(**LOKY):
        results = joblib.Parallel()(joblib.delayed(locked_service.use)(arg) for _ in range(2))
    for info in results:
        check_result(info, expected, os.getpid())


@pytest.fixture(scope="module")
def loky_workers():
    """joblib keeps its loky workers (and their helper threads) for reuse: start them before
    the tests that use them, end them with this module."""
    joblib = pytest.importorskip("joblib")
    from joblib.externals.loky import get_reusable_executor

    with joblib.parallel_config(**LOKY):
        joblib.Parallel()(joblib.delayed(int)() for _ in range(2))
    yield
    get_reusable_executor().shutdown(wait=True, kill_workers=True)


@pytest.mark.slow
def test_joblib_memory_maps_the_snapshot_buffers(loky_workers, service):
    """joblib's reducer for large arrays applies to the payload's buffers: the worker gets a
    memory map of them (written once, shared) instead of a pickled copy."""
    joblib = pytest.importorskip("joblib")
    from transport_layers import buffer_kinds

    ref = lp.portable(service, lazy=True)
    with joblib.parallel_config(**LOKY):
        kinds = joblib.Parallel()(joblib.delayed(buffer_kinds)(ref) for _ in range(2))
    assert kinds == [["memmap"], ["memmap"]]
