"""A threaded anomaly-detection service: the state real programs keep around a model.

Requests wait in a Queue; workers take batches under a BoundedSemaphore, a Condition on the
service's RLock wakes them, an Event stops them, and a ThreadPoolExecutor runs them. The
detector is reached from two attributes. `pickle` refuses all of it ('_thread.RLock');
lockpickle lists every piece with its path and what a snapshot does with it.
"""

import concurrent.futures
import queue
import threading
from dataclasses import dataclass

import numpy as np

from .layers import ReconstructionError  # noqa: F401 - the detector's custom layer


@dataclass
class Request:
    request_id: int
    reading: np.ndarray


class AnomalyService:
    def __init__(self, detector, *, workers=4, threshold=0.5, max_pending=64):
        self.detector = detector
        self.models = {"primary": detector}  # the same model, reached by name
        self.threshold = threshold
        self.state_lock = threading.RLock()  # guards the counters below
        self.work_ready = threading.Condition(self.state_lock)  # shares state_lock
        self.stopping = threading.Event()
        self.slots = threading.BoundedSemaphore(workers)  # batches in flight
        self.pending = queue.Queue(maxsize=max_pending)
        # An executor starts its threads on the first submit(): opening the project starts none.
        self.executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="anomaly-worker"
        )
        self.next_id = 0
        self.processed = 0
        self.flagged = 0

    def submit(self, reading) -> int:
        with self.work_ready:
            request = Request(self.next_id, np.asarray(reading, dtype="float32"))
            self.next_id += 1
            self.pending.put_nowait(request)
            self.work_ready.notify()
            return request.request_id

    def drain(self, max_batch=16) -> dict[int, bool]:
        """Score up to ``max_batch`` pending requests in one batch: {request_id: anomalous}."""
        requests = []
        while len(requests) < max_batch:
            try:
                requests.append(self.pending.get_nowait())
            except queue.Empty:
                break
        if not requests:
            return {}
        with self.slots:
            batch = np.stack([r.reading for r in requests])
            scores = self.models["primary"].predict(batch, verbose=0)[:, 0]
        with self.state_lock:
            verdicts = {r.request_id: bool(s > self.threshold) for r, s in zip(requests, scores)}
            self.processed += len(requests)
            self.flagged += sum(verdicts.values())
        return verdicts

    def close(self) -> None:
        self.stopping.set()
        with self.work_ready:
            self.work_ready.notify_all()
        self.executor.shutdown(wait=True)


def build(models):
    """[runtime] factory: the service, with two requests already waiting."""
    service = AnomalyService(models["detector"])
    rng = np.random.default_rng(0)
    for _ in range(2):
        service.submit(rng.normal(size=8))
    return service
