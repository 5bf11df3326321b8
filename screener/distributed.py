"""Screening past one machine: the same scorer on a Dask cluster.

Input files (a glob of Parquet, CSV/TSV or JSONL) are cut into partitions: a Parquet row
group each, a whole file for the others. Each partition is read and scored by a worker,
which loads the model once (from a path every worker can read, checked against the models
folder's trusted list as on one machine) and keeps it for its next partitions. The parent
takes the partitions back in input order, groups flagged rows into campaigns as
``predict.py --input`` does, and writes one output file that appears only when complete.
Dask retries a partition whose worker died.
"""
from __future__ import annotations

import glob
import os
import time
from dataclasses import dataclass
from pathlib import Path

from .batch import Grouping, Summary, _finish_chunk, _prepare, check_ledger_path, score_texts
from .errors import InputError
from .ledger import write_ledger
from .report import RESULT_COLUMNS
from .scoring import EXPLAIN_FLAGGED, Scorer, load_scorer
from .tables import (FORMATS, check_writable, open_source, open_table_writer, output_format, read_chunks,
                     resolve_text_column)

DISTRIBUTED_FORMATS = ("parquet", "csv", "tsv", "jsonl")
RETRIES = 2
AHEAD_PER_WORKER = 2     # partitions in flight per worker: enough to keep workers busy, bounded memory


@dataclass(frozen=True)
class Partition:
    path: str
    index: int                  # row group (Parquet) or 0 (a whole file)
    encoding: str | None = None


def partitions(pattern: str, encoding: str | None = None) -> list[Partition]:
    """The partitions of the files a glob names, in sorted file order."""
    files = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
    files = [f for f in files if Path(f).is_file()]
    if not files:
        raise InputError(f"没有找到与 {pattern} 匹配的输入文件")
    parts = []
    for path in files:
        fmt = FORMATS.get(Path(path).suffix.lower())
        if fmt not in DISTRIBUTED_FORMATS:
            raise InputError(f"{path}：在集群上筛查的输入须为 .parquet、.csv、.tsv 或 .jsonl 文件")
        if fmt == "parquet":
            import pyarrow.parquet as pq

            source = open_source(path)  # checks the magic bytes
            groups = pq.ParquetFile(source.path).metadata.num_row_groups
            parts += [Partition(path, i) for i in range(groups)]
        else:
            parts.append(Partition(path, 0, encoding))
    return parts


def read_partition(part: Partition):
    """The rows of one partition as a DataFrame."""
    import pandas as pd

    source = open_source(part.path, part.encoding)
    if source.format == "parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(source.path).read_row_group(part.index).to_pandas()
    frames = list(read_chunks(source))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def first_rows(part: Partition, rows: int = 200):
    """The first rows of a partition: enough to settle its columns without reading it all in the parent."""
    import pandas as pd

    source = open_source(part.path, part.encoding)
    if source.format == "parquet":
        import pyarrow.parquet as pq

        batch = next(pq.ParquetFile(source.path).iter_batches(batch_size=rows, row_groups=[part.index]), None)
        return batch.to_pandas() if batch is not None else pd.DataFrame()
    return next(read_chunks(source, rows), pd.DataFrame())


_loaded: dict[tuple, Scorer] = {}


def _worker_scorer(models_root: str, version: str, threshold: float | None) -> Scorer:
    """The model, loaded (and trust-checked) once per worker process."""
    key = (models_root, version, threshold)
    if key not in _loaded:
        _loaded[key] = load_scorer(models_root, version, threshold)
    return _loaded[key]


def score_partition(part: Partition, column: str, models_root: str, version: str, threshold: float | None,
                    explain: str, structured: bool):
    """On a worker: read a partition and score its distinct texts (``batch.score_texts``)."""
    frame = read_partition(part)
    if len(frame) and column not in frame.columns:
        raise InputError(f"{part.path} 缺少要筛查的列 {column!r}；现有的列：{', '.join(map(str, frame.columns))}")
    prepared, todo = _prepare(frame, column, {}) if len(frame) else ([], [])
    scorer = _worker_scorer(models_root, version, threshold)
    return frame, prepared, todo, score_texts(scorer, todo, structured, explain)


def require_dask() -> None:
    import importlib.util

    if importlib.util.find_spec("distributed") is None:
        raise InputError("在集群上筛查需要 Dask：请运行 pip install -e \".[dask]\"")


def connect(scheduler: str):
    """A Dask client: ``local`` or ``local:N`` starts a local cluster of N worker processes; else an address."""
    from dask.distributed import Client, LocalCluster

    if scheduler == "local" or scheduler.startswith("local:"):
        count = scheduler.partition(":")[2]
        if count and not count.isdigit():
            raise InputError(f"--scheduler {scheduler}：local 之后须是工作进程数，例如 local:4")
        workers = int(count) if count else (os.cpu_count() or 1)
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        return Client(cluster), cluster
    try:
        return Client(scheduler, timeout="20s"), None
    except OSError as e:
        raise InputError(f"无法连接 Dask 调度器 {scheduler}（{e}）；请确认 `dask scheduler` 已启动且地址正确") from None


def screen_on_cluster(pattern: str, output: str, scheduler: str, *, models_dir, text_column: str | None = None,
                      encoding: str | None = None, version: str | None = None, threshold: float | None = None,
                      ledger: str | None = None, date_column: str | None = None, source_column: str | None = None,
                      region_column: str | None = None, notify=None, client=None,
                      explain: str = EXPLAIN_FLAGGED) -> Summary:
    """Screen every partition of the files on a Dask cluster; one output, rows in input order."""
    require_dask()
    notify = notify or (lambda m: None)
    started = time.perf_counter()
    if not output or output == "-":
        raise InputError("在集群上筛查需要 --output 文件（.parquet、.csv、.tsv 或 .jsonl）")
    fmt = output_format(output)
    check_writable(output)
    if ledger:
        check_ledger_path(ledger)
    parts = partitions(pattern, encoding)
    first = next((f for f in (first_rows(p) for p in parts[:8]) if len(f.columns)), None)
    if first is None:
        raise InputError(f"{pattern} 没有可筛查的行")
    column = resolve_text_column(first, text_column, parts[0].path)
    grouping = Grouping.of(first, parts[0].path, date_column, source_column, region_column)
    scorer = load_scorer(models_dir, version, threshold)  # the parent checks the model too, before any work
    own = None
    if client is None:
        client, own = connect(scheduler)
    try:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        notify(f"Dask：{len(parts)} 个分区，{workers} 个工作进程（{scheduler}）")
        args = (column, str(Path(models_dir).resolve()), scorer.version, threshold, explain, fmt == "jsonl")
        summary = Summary()
        in_flight = []
        queue = iter(parts)

        def submit_next():
            part = next(queue, None)
            if part is not None:
                in_flight.append(client.submit(score_partition, part, *args, retries=RETRIES, pure=False))

        for _ in range(workers * AHEAD_PER_WORKER):
            submit_next()
        with open_table_writer(output, fmt, inert_columns=RESULT_COLUMNS) as writer:
            while in_flight:
                future = in_flight.pop(0)
                frame, prepared, todo, results = future.result()
                future.release()
                submit_next()
                if len(frame):
                    writer.write(_finish_chunk(frame, prepared, todo, results, {}, fmt == "jsonl", summary, scorer,
                                               grouping))
            if ledger:
                summary.leads = write_ledger(ledger, grouping.grouper, grouping.optional_columns())
    finally:
        if own is not None:
            client.close()
            own.close()
    summary.seconds = time.perf_counter() - started
    notify(summary.text(output))
    return summary
