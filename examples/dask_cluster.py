"""Dask LocalCluster: submit and scatter a service with locks.

    pip install 'lockpickle-gui[dask]' && python examples/dask_cluster.py

Dask's scheduler unpickles and re-pickles what passes through it, so use the lazy form: the
workers get a reference that loads on first use (and tokenising it never loads it).
"""

import numpy as np
from dask.distributed import Client, LocalCluster
from locked_service import build_service, probe_input, use

import lockpickle_gui as lp


def main() -> None:
    service = build_service()
    expected = service.predict(probe_input(service))
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        # the receiving side may import only what this list allows (and the sender needs)
        client.register_plugin(lp.transport.dask_worker_plugin(trust=["locked_service"]))
        shipped = lp.portable(service, lazy=True)
        info = client.submit(use, shipped, pure=False).result()
        [scattered] = client.scatter([shipped])
        again = client.submit(use, scattered, pure=False).result()
    assert np.array_equal(info["outputs"], expected) and np.array_equal(again["outputs"], expected)
    print(f"Dask: workers {sorted({info['pid'], again['pid']})} used the service; identical")


if __name__ == "__main__":
    main()
