"""multiprocessing.Pool: send a service holding a Keras model and locks to worker processes.

    python examples/mp_pool.py

Plain pickle fails with ``TypeError: cannot pickle '_thread.lock' object``. Two ways out:
``lp.portable(service)`` wraps one object; ``lp.register(LockedService)`` makes the class
itself travel, both ways (the worker's initializer registers it there too).
"""

import multiprocessing

import numpy as np
from locked_service import LockedService, build_service, probe_input, use, use_and_return

import lockpickle_gui as lp


def main() -> None:
    service = build_service()
    expected = service.predict(probe_input(service))
    context = multiprocessing.get_context("spawn")  # never fork a process that runs TensorFlow
    with context.Pool(2, initializer=lp.setup_worker, initargs=(None, [LockedService])) as pool:
        info = pool.apply(use, (lp.portable(service),))  # one object, wrapped
        assert np.array_equal(info["outputs"], expected)
        lp.register(LockedService)  # or the class itself, in both directions
        back = pool.apply(use_and_return, (service,))
        assert type(back) is LockedService and back.lock is not service.lock
    print(f"mp.Pool: worker {info['pid']} used the service; outputs identical; it came back")


if __name__ == "__main__":
    main()
