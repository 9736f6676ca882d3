"""The service through a local Ray cluster (one per test run, 2 CPUs): ray.put, task and
actor arguments, Ray's own serializer hook, Ray Serve's .bind() and Tune's param_space (both
re-pickle on the way: the lazy form), and a refusal by a worker's trust policy."""

from __future__ import annotations

import os

import numpy as np
import pytest

import lockpickle_gui as lp
from lockpickle_gui.core import transport
from lockpickle_gui.core.errors import UntrustedCode

pytestmark = pytest.mark.slow
TIMEOUT = 300


def sendable(service, form):
    import locked_service

    if form == "register":
        lp.register(locked_service.LockedService)
        return service
    if form == "ray_serializer":
        transport.ray_register(locked_service.LockedService)
        return service
    return lp.portable(service, lazy=form == "lazy")


@pytest.fixture
def undo_ray_serializer(ray_session):
    yield
    import locked_service
    import ray.util

    ray.util.deregister_serializer(locked_service.LockedService)


@pytest.mark.parametrize("form", ["eager", "lazy"])
def test_ray_put_and_get_in_the_driver(ray_session, service, expected, form):
    import locked_service

    back = ray_session.get(ray_session.put(sendable(service, form)))
    back = back.get() if isinstance(back, lp.LazyRef) else back
    assert back is not service
    assert np.array_equal(locked_service.use(back)["outputs"], expected)


@pytest.mark.parametrize("form", ["eager", "lazy", "register", "ray_serializer"])
def test_ray_task_argument_and_object_ref(
    ray_session, undo_ray_serializer, service, expected, form
):
    import locked_service

    ray = ray_session
    use = ray.remote(locked_service.use)
    arg = sendable(service, form)
    for sent in (arg, ray.put(arg)):
        info = ray.get(use.remote(sent), timeout=TIMEOUT)
        assert info["pid"] != os.getpid() and np.array_equal(info["outputs"], expected)


def test_ray_actor_holds_the_arrived_service(ray_session, service, expected):
    import locked_service

    ray = ray_session

    @ray.remote(num_cpus=0)
    class Holder:
        def __init__(self, svc):
            self.svc = svc

        def use(self):
            return locked_service.use(self.svc)

    holder = Holder.remote(lp.portable(service))
    try:
        info = ray.get(holder.use.remote(), timeout=TIMEOUT)
    finally:
        ray.kill(holder)
    assert np.array_equal(info["outputs"], expected)


def test_ray_worker_policy_refuses_an_untrusted_type(ray_session, service):
    import locked_service

    ray = ray_session
    use = ray.remote(locked_service.use).options(
        runtime_env=transport.ray_runtime_env(trust=["numpy"], env_vars=_pythonpath())
    )
    with pytest.raises(UntrustedCode, match="locked_service") as info:
        ray.get(use.remote(lp.portable(service, label="ranker")), timeout=TIMEOUT)
    assert "'ranker' (locked_service.LockedService)" in str(info.value)
    assert "/dev/shm" not in str(info.value) and "lpsnap" not in str(info.value)


def _pythonpath():
    return {"PYTHONPATH": os.environ["PYTHONPATH"]}


def test_ray_serve_bind_with_the_lazy_form(ray_session, service, expected):
    """Serve pickles the deployment's arguments into its controller and on to the replica:
    the lazy form crosses both and is loaded only in the replica."""
    import locked_service

    serve = pytest.importorskip("ray.serve")
    serve.start(proxy_location="Disabled")
    try:

        @serve.deployment(num_replicas=1, ray_actor_options={"num_cpus": 0})
        class Scorer:
            def __init__(self, svc):
                self.loaded_before_use = svc.loaded
                self.info = locked_service.use(svc)

            def __call__(self):
                return self.loaded_before_use, self.info

        handle = serve.run(
            Scorer.bind(lp.portable(service, lazy=True)), name="lp_test", route_prefix=None
        )
        loaded_before_use, info = handle.remote().result(timeout_s=TIMEOUT)
    finally:
        serve.shutdown()
    assert loaded_before_use is False
    assert np.array_equal(info["outputs"], expected)


def test_ray_tune_param_space_with_the_lazy_form(ray_session, service, expected, tmp_path):
    """Tune deep-copies and pickles param_space for every trial."""
    import locked_service

    tune = pytest.importorskip("ray.tune")

    def trainable(config):
        info = locked_service.use(config["svc"])
        tune.report({"score": float(info["outputs"].sum()), "pid": info["pid"]})

    tuner = tune.Tuner(
        trainable,
        param_space={"svc": lp.portable(service, lazy=True), "lr": tune.grid_search([0.1])},
        run_config=tune.RunConfig(storage_path=str(tmp_path), name="lp_test", verbose=0),
    )
    results = tuner.fit()
    assert not results.errors
    assert results[0].metrics["score"] == pytest.approx(float(expected.sum()), abs=0)
