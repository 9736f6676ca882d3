"""concurrent.futures.ProcessPoolExecutor: the same service, submitted as an argument.

python examples/process_pool.py
"""

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from locked_service import LockedService, build_service, probe_input, use

import lockpickle_gui as lp


def main() -> None:
    service = build_service()
    expected = service.predict(probe_input(service))
    lp.register(LockedService)  # pool.submit(fn, service) now just works
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = [f.result() for f in [pool.submit(use, service) for _ in range(2)]]
    assert all(np.array_equal(r["outputs"], expected) for r in results)
    pids = sorted({r["pid"] for r in results})
    print(f"ProcessPoolExecutor: workers {pids} used the service; outputs identical")


if __name__ == "__main__":
    main()
