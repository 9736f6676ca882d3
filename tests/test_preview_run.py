"""run_preview: a load of requests from client threads through the pool, with its figures,
outputs summarised for people, the thread-safety verdict, and progress from 0 to 1."""

from __future__ import annotations

import json

from helpers import PREVIEW_RESULT_KEYS, random_rows
from models import classifier

from lockpickle_gui.core.modelio.inputs import generate_inputs
from lockpickle_gui.core.preview import run_preview


def test_run_preview_result_has_the_issue_keys_and_summaries():
    model = classifier()  # its outputs read as class scores
    progress = []
    result = run_preview(
        model,
        generate_inputs(model, 20),
        workers=2,
        max_batch=8,
        max_delay_ms=1.0,
        clients=3,
        requests=300,
        progress=lambda f, m: progress.append(f),
    )
    assert result.stats.completed == 300 and result.stats.failed == 0
    assert result.verdict in ("identical", "within tolerance")
    data = json.loads(json.dumps(result.to_dict()))
    assert set(data) >= PREVIEW_RESULT_KEYS
    assert data["requests"] == 300 and data["clients"] == 3
    assert len(result.outputs) == 10 and result.outputs[0].shape == (5,)
    assert data["outputs"][0]["summary"].startswith("class ")
    assert progress[0] == 0.0 and progress[-1] == 1.0 and progress == sorted(progress)


def test_run_preview_closed_loop_clients_cap_the_batch(tiny_model):
    result = run_preview(
        tiny_model,
        random_rows(5),
        workers=1,
        max_batch=32,
        max_delay_ms=1.0,
        clients=2,
        requests=60,
        in_flight=1,
    )
    assert result.stats.completed == 60
    assert max(result.stats.batch_sizes) <= 2  # one outstanding request per client
