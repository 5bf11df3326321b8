"""Latency of the web API for one ad, as a program calling it sees it.

Starts ``serve.py``'s app (uvicorn, the built-in model) on a free local port, sends
``--requests`` single-ad ``POST /api/score`` calls one after another over one connection
(ads drawn from the corpus test split, so the model's work varies), and prints p50, p95 and
the slowest, next to the time the model alone takes for the same ads in the same process.

    python bench/api.py --requests 300
"""
from __future__ import annotations

import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import click
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from real_data import builtin_scorer  # noqa: E402

from screener.config import DEFAULT_DATA, default_models_dir  # noqa: E402
from screener.corpus import load_corpus  # noqa: E402


@click.command()
@click.option("--requests", "count", default=300, show_default=True)
def main(count):
    import httpx
    import uvicorn

    from screener.web.app import create_app

    scorer = builtin_scorer()
    corpus = load_corpus(DEFAULT_DATA)
    ads = corpus[corpus["split"] == "test"]["text"].sample(count, random_state=0).tolist()
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(scorer, default_models_dir(), pending_path=Path(folder) / "p.csv", work_dir=Path(folder))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)
        latencies = []
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            for ad in ads[:20]:  # warm-up
                client.post("/api/score", json={"texts": [ad]})
            for ad in ads:
                started = time.perf_counter()
                response = client.post("/api/score", json={"texts": [ad]})
                latencies.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
        server.should_exit = True
    model_only = []
    for ad in ads:
        started = time.perf_counter()
        scorer.score_ads([ad])
        model_only.append((time.perf_counter() - started) * 1000)
    ms = np.array(latencies)
    print(f"POST /api/score, one ad, {count} calls: p50 {np.percentile(ms, 50):.1f} ms  p95 "
          f"{np.percentile(ms, 95):.1f} ms  slowest {ms.max():.1f} ms")
    print(f"the model alone (Scorer.score_ads, same ads): p50 {np.percentile(model_only, 50):.1f} ms")


if __name__ == "__main__":
    main()
