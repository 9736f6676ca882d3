"""joblib.Parallel (loky): the snapshot's buffers are memory-mapped by joblib, not copied.

python examples/joblib_parallel.py
"""

import numpy as np
from joblib import Parallel, delayed
from locked_service import build_service, probe_input, use

import lockpickle_gui as lp


def main() -> None:
    service = build_service()
    expected = service.predict(probe_input(service))
    shipped = lp.portable(service)  # snapshot taken once, sent to every task
    results = Parallel(n_jobs=2, backend="loky")(delayed(use)(shipped) for _ in range(4))
    assert all(np.array_equal(r["outputs"], expected) for r in results)
    print(
        f"joblib: {len(results)} tasks in workers {sorted({r['pid'] for r in results})}; identical"
    )


if __name__ == "__main__":
    main()
