"""A local Ray cluster: ray.put, a task argument and an actor holding the service.

    pip install 'lockpickle-gui[ray]' && python examples/ray_cluster.py

The snapshot's buffers go through Ray's shared-memory object store without a copy.
``lp.transport.ray_runtime_env`` caps what workers accept and registers classes in them.
"""

import os

import numpy as np
import ray
from locked_service import LockedService, build_service, probe_input, use

import lockpickle_gui as lp


@ray.remote(num_cpus=0)
class Holder:
    """An actor that keeps the arrived service and serves from it."""

    def __init__(self, service):
        self.service = service

    def use(self):
        return use(self.service)


def main() -> None:
    service = build_service()
    expected = service.predict(probe_input(service))
    here = os.path.dirname(os.path.abspath(__file__))  # workers import locked_service
    ray.init(
        address="local",  # a cluster of our own, never one already running here
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env=lp.transport.ray_runtime_env(
            trust=["locked_service"], register=[LockedService], env_vars={"PYTHONPATH": here}
        ),
    )
    try:
        ref = ray.put(lp.portable(service))  # stored once, zero-copy buffers
        task = ray.get(ray.remote(use).remote(ref))
        holder = Holder.remote(ref)
        actor = ray.get(holder.use.remote())
        ray.kill(holder)
    finally:
        ray.shutdown()
    assert np.array_equal(task["outputs"], expected) and np.array_equal(actor["outputs"], expected)
    print(f"Ray: task in {task['pid']}, actor in {actor['pid']}; outputs identical")


if __name__ == "__main__":
    main()
