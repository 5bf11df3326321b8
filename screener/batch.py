"""Screening whole files: streamed in chunks, scored in parallel, written atomically, every row kept in order."""
from __future__ import annotations

import gc
import heapq
import itertools
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

import pandas as pd

from .campaigns import CampaignGrouper, template_minhash
from .errors import Cancelled, InputError, ScreenerError
from .ledger import write_ledger
from .report import RESULT_COLUMNS, error_cells, format_red_flags, result_cells
from .scoring import EXPLAIN_FLAGGED, HIGH, LOW, MEDIUM, Result, Scorer, check_text, load_scorer
from .tables import (DATE_COLUMN_NAMES, REGION_COLUMN_NAMES, SOURCE_COLUMN_NAMES, check_writable, count_rows,
                     find_column, open_source, open_table_writer, output_format, read_chunks, resolve_text_column)

CHUNK_ROWS = 20_000
WORKER_BATCH = 2_000
CACHE_LIMIT = 50_000
IN_PROCESS_BELOW = 5_000  # rows; fewer are scored without starting workers


HISTOGRAM_BINS = 10


@dataclass
class Summary:
    rows: int = 0
    scored: int = 0
    errors: int = 0
    levels: dict = field(default_factory=lambda: {HIGH: 0, MEDIUM: 0, LOW: 0})
    seconds: float = 0.0
    histogram: list = field(default_factory=lambda: [0] * HISTOGRAM_BINS)  # scores in tenths
    top_flagged: list = field(default_factory=list)  # heap of (score, -row, text, level, flags, scheme, campaign)
    keep_top: int = 0
    leads: int | None = None  # campaigns in the risk ledger, when one was written

    def record(self, row: int, text: str, score: float, level: str, result: Result | None = None,
               campaign: str = "") -> None:
        """One scored row; ``result`` is given for flagged rows."""
        self.scored += 1
        self.levels[level] += 1
        self.histogram[min(int(score * HISTOGRAM_BINS), HISTOGRAM_BINS - 1)] += 1
        if result is not None and self.keep_top:
            flags = format_red_flags(result.red_flags, result.red_flags_omitted)
            item = (result.score, -row, text, result.level, flags, result.scheme_name or "", campaign)
            if len(self.top_flagged) < self.keep_top:
                heapq.heappush(self.top_flagged, item)
            elif item > self.top_flagged[0]:
                heapq.heapreplace(self.top_flagged, item)

    def flagged_rows(self) -> list[dict]:
        """The highest-scoring flagged rows kept, highest first (row numbers count from 1)."""
        return [{"row": -r + 1, "score": s, "level": lv, "text": t, "red_flags": f, "scheme_name": sn, "campaign": c}
                for s, r, t, lv, f, sn, c in sorted(self.top_flagged, reverse=True)]

    def text(self, output: str) -> str:
        rate = self.rows / self.seconds if self.seconds else 0.0
        return (f"读入 {self.rows:,} 行，已评分 {self.scored:,}，无法评分 {self.errors:,}；"
                f"高 {self.levels[HIGH]:,} / 中 {self.levels[MEDIUM]:,} / 低 {self.levels[LOW]:,}；"
                f"{self.seconds:.1f} 秒（每秒 {rate:,.0f} 行）-> {output}"
                + (f"; 风险台账 {self.leads:,} 条线索" if self.leads is not None else ""))


def score_texts(scorer: Scorer, texts: list[str], structured: bool, explain: str) -> list[tuple]:
    """Per text, what batch screening keeps: its table cells, and its full result when it is flagged (for
    campaigns and the summary, with the MinHash values campaigns compare). Workers run this, so the parent
    only places rows."""
    scored = []
    for r in scorer.analyse(texts, explain=explain):
        if r.flagged:
            r.signature = template_minhash(r.template).hashvalues
        scored.append((result_cells(r, structured), r if r.flagged else None))
    return scored


# --- worker side ---------------------------------------------------------------------------------
_worker: Scorer | None = None
_explain = EXPLAIN_FLAGGED
_structured = False
_inherited: Scorer | None = None  # set in the parent just while workers are forked: they start with its model
# Red flags, a look-alike character (俌) and a homophone (收溢): scoring it builds every table a worker reads, the
# look-alike dictionary included, once in the command for all forked workers rather than once in each.
WARM_UP_AD = "保本保息 年化18% 加微信，临街旺俌出售，收溢稳定"


def become_worker(parent: int) -> None:
    """Set up a worker process of a batch run: it ends with its parent (a worker of a killed run must not
    score on for minutes; Linux ends it), and leaves interrupts to the parent."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before the request above
        os._exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what an interrupt means
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a forked worker would inherit the parent's handler


def _start_worker(models_root: str, version: str, threshold: float, parent: int, explain: str,
                  structured: bool) -> None:
    global _worker, _explain, _structured
    become_worker(parent)
    if _inherited is not None:  # forked: the parent's model, its tables already built
        _worker = _inherited
    else:
        _worker = load_scorer(models_root, version, threshold)
        _worker.analyse([WARM_UP_AD])  # builds the tokenizer and character tables now, before the freeze
    _explain, _structured = explain, structured
    # The model's vocabularies and tables live as long as the worker: moved out of the collector's sight,
    # they are not traversed again by every full collection while batches allocate.
    gc.freeze()
    # Scoring makes almost no reference cycles: the collector runs once after each batch instead of every few
    # hundred allocations, and what survives it (tables built on first use) is set aside too.
    gc.disable()


def _score_in_worker(texts: list[str]) -> list[tuple]:
    try:
        return score_texts(_worker, texts, _structured, _explain)
    finally:
        gc.collect()
        gc.freeze()


def _can_fork() -> bool:
    """Forking copies the parent as it is, model and imports included, in milliseconds rather than the second a
    fresh interpreter takes; it is safe only while no other thread can hold a lock (the web page runs batches in
    threads, and spawns)."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


class _Scorer:
    """Scores unique texts, in worker processes when the input is large."""

    def __init__(self, screener: Scorer, models_root: str, jobs: int, explain: str, structured: bool):
        self.screener, self.models_root, self.jobs, self.explain = screener, models_root, jobs, explain
        self.structured = structured
        self.pool = None

    def start_pool(self):
        global _inherited
        if self.pool is not None or self.jobs <= 1:
            return
        fork = _can_fork()
        if fork:
            self.screener.analyse([WARM_UP_AD])  # the tables, built once here for every worker
        self.pool = ProcessPoolExecutor(self.jobs, mp_context=multiprocessing.get_context("fork" if fork else "spawn"),
                                        initializer=_start_worker,
                                        initargs=(self.models_root, self.screener.version, self.screener.threshold,
                                                  os.getpid(), self.explain, self.structured))
        if fork:
            _inherited = self.screener
            try:
                self.pool.submit(int)  # with fork every worker starts at the first submission: now, before threads
            finally:
                _inherited = None

    def submit(self, texts: list[str]):
        """A handle whose ``result()`` is ``score_texts`` of texts, in order."""
        if self.pool is None:
            return _Done(score_texts(self.screener, texts, self.structured, self.explain) if texts else [])
        batches = [texts[i:i + WORKER_BATCH] for i in range(0, len(texts), WORKER_BATCH)]
        return _Pending([self.pool.submit(_score_in_worker, b) for b in batches])

    def close(self, cancel: bool = False):
        if self.pool is not None:
            self.pool.shutdown(wait=not cancel, cancel_futures=cancel)
            self.pool = None


class _Done:
    def __init__(self, value):
        self.value = value

    def result(self):
        return self.value


class _Pending:
    def __init__(self, futures):
        self.futures = futures

    def result(self):
        out = []
        for f in self.futures:
            out.extend(f.result())
        return out


def _prepare(frame: pd.DataFrame, column: str, cache: dict):
    """Per row: the text to score or the reason it cannot be; and the new unique texts to score."""
    prepared, todo, seen = [], [], set()
    for value in frame[column].tolist():
        try:
            text, _ = check_text(value)
        except InputError as e:
            prepared.append(("error", _row_error(value, e)))
            continue
        prepared.append(("text", text))
        if text not in cache and text not in seen:
            seen.add(text)
            todo.append(text)
    return prepared, todo


def _row_error(value, error: InputError) -> str:
    if isinstance(value, str) and value.strip():
        return str(error)
    if isinstance(value, str) or value is None or (isinstance(value, float) and value != value):
        return "文本为空"
    return f"不是文本（{type(value).__name__}: {value!r}）"[:200]


@dataclass
class Grouping:
    """Campaign grouping of flagged rows, with the optional columns the ledger reports."""

    grouper: CampaignGrouper
    date: str | None = None
    source: str | None = None
    region: str | None = None

    @classmethod
    def of(cls, first: pd.DataFrame, source_name: str, date_column: str | None, source_column: str | None,
           region_column: str | None) -> "Grouping":
        """A new grouping with the date, source and region columns asked for, or found by name in the first rows."""
        return cls(CampaignGrouper(), find_column(first, date_column, DATE_COLUMN_NAMES, source_name),
                   find_column(first, source_column, SOURCE_COLUMN_NAMES, source_name),
                   find_column(first, region_column, REGION_COLUMN_NAMES, source_name))

    def optional_columns(self) -> tuple[str, ...]:
        return (("首次出现", "末次出现") if self.date else ()) + (("来源",) if self.source else ()) + \
            (("地区",) if self.region else ())

    def assign(self, frame: pd.DataFrame, i: int, row: int, text: str, result: Result) -> str:
        def cell(column):
            return frame[column].iat[i] if column else None

        return self.grouper.assign(row, text, result, cell(self.date), cell(self.source), cell(self.region))


_CAMPAIGN = RESULT_COLUMNS.index("campaign")


def _finish_chunk(frame, prepared, todo, scored, cache, structured: bool, summary: Summary,
                  screener: Scorer, grouping: Grouping, explain: str = EXPLAIN_FLAGGED) -> pd.DataFrame:
    """The chunk with its result columns: ``scored`` is ``score_texts`` of ``todo``; campaigns are assigned here,
    in row order."""
    if len(cache) + len(todo) > CACHE_LIMIT:
        cache.clear()
    cache.update(zip(todo, scored))
    evicted = list({v for kind, v in prepared if kind == "text" and v not in cache})
    if evicted:  # seen in an earlier chunk, then dropped from the bounded cache
        cache.update(zip(evicted, score_texts(screener, evicted, structured, explain)))
    rows = []
    for i, (kind, value) in enumerate(prepared):
        if kind == "error":
            rows.append(error_cells(value))
            summary.errors += 1
            continue
        cells, result = cache[value]
        if result is not None:
            campaign = grouping.assign(frame, i, summary.rows + i + 1, value, result)
            cells = cells[:_CAMPAIGN] + (campaign,) + cells[_CAMPAIGN + 1:]
            summary.record(summary.rows + i, value, result.score, result.level, result, campaign)
        else:
            summary.record(summary.rows + i, value, cells[0], cells[1])
        rows.append(cells)
    out = frame.copy()
    for c, values in zip(RESULT_COLUMNS, zip(*rows) if rows else [[]] * len(RESULT_COLUMNS)):
        # Object columns: a list would be turned into pandas' Arrow strings, and back again to be written (a sixth
        # of the parent's time per row). Re-screening a screened file replaces its old result columns in place.
        out[c] = pd.Series(values, index=out.index, dtype=object)
    summary.rows += len(frame)
    return out


def _terminate_on_sigterm():
    def handler(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    if multiprocessing.current_process().name == "MainProcess":
        try:
            signal.signal(signal.SIGTERM, handler)
        except ValueError:  # not the main thread
            pass


def check_ledger_path(ledger: str) -> None:
    """Fail before any work if the risk ledger cannot be written where asked."""
    if not ledger.lower().endswith(".xlsx"):
        raise InputError(f"风险台账 {ledger} 须为 Excel 文件：文件名请以 .xlsx 结尾")
    check_writable(ledger)


def screen_file(input_path: str, output: str | None, *, text_column: str | None = None, encoding: str | None = None,
                jobs: int | None = None, quiet: bool = False, models_dir, version: str | None = None,
                threshold: float | None = None, notify=None, chunk_rows: int = CHUNK_ROWS, stdout=None,
                screener: Scorer | None = None,
                on_progress=None, keep_top: int = 0, max_rows: int | None = None, fmt: str | None = None,
                ledger: str | None = None, date_column: str | None = None, source_column: str | None = None,
                region_column: str | None = None, should_stop=None, explain: str = EXPLAIN_FLAGGED) -> Summary:
    """Screen a file; every input row comes back, in order, with its score and reasons.

    Flagged rows are grouped into campaigns (the ``campaign`` column); with ``ledger`` the
    risk ledger of those campaigns is written as an Excel workbook. The output format
    follows the output's extension; ``fmt`` sets it for standard output.
    """
    notify = notify or (lambda m: None)
    started = time.perf_counter()
    if fmt is None or output not in (None, "-"):
        fmt = output_format(output)
    if output and output != "-":
        check_writable(output)
    if ledger:
        check_ledger_path(ledger)
    source = open_source(input_path, encoding)
    if max_rows is not None:  # counted before any row is scored
        rows = count_rows(source)
        if rows > max_rows:
            raise InputError(f"{source.name} 有 {rows:,} 行，超过 {max_rows:,} 行的上限；这么大的文件请用 "
                             "`python predict.py --input 文件` 筛查")
    screener = screener or load_scorer(models_dir, version, threshold)
    chunks = read_chunks(source, chunk_rows)
    first = next(chunks, None)
    if first is None or len(first.columns) == 0:
        raise InputError(f"{source.name} 没有可筛查的行")
    column = resolve_text_column(first, text_column, source.name)
    grouping = Grouping.of(first, source.name, date_column, source_column, region_column)
    jobs = jobs or os.cpu_count() or 1
    structured = fmt == "jsonl"
    scorer = _Scorer(screener, str(models_dir), jobs, explain, structured)
    if len(first) >= min(chunk_rows, IN_PROCESS_BELOW):
        scorer.start_pool()
    summary, cache = Summary(keep_top=keep_top), {}
    _terminate_on_sigterm()
    progress = _progress(quiet)
    pending: deque = deque()
    ok = False
    gc.freeze()  # the model, for the same reason as a chunk's survivors below
    collecting = gc.isenabled()
    gc.disable()
    try:
        with open_table_writer(output, fmt, stdout=stdout, inert_columns=RESULT_COLUMNS) as writer:
            def drain(limit: int):
                while len(pending) > limit:
                    frame, prepared, todo, _, handle = pending.popleft()
                    out = _finish_chunk(frame, prepared, todo, handle.result(), cache, structured, summary,
                                        screener, grouping, explain)
                    writer.write(out)
                    # One collection per chunk instead of one every few hundred allocations (unpickling a chunk's
                    # results makes hundreds of thousands of objects, almost none in cycles); then what outlives
                    # the chunk (the campaigns, the cache) is set aside, so no later collection walks it again.
                    gc.collect()
                    gc.freeze()
                    progress.update(len(frame))
                    if on_progress:
                        on_progress(summary.rows)
                    stop_if_asked()

            def stop_if_asked():
                if should_stop and should_stop():
                    raise Cancelled("筛查已取消，没有写出任何结果")

            for frame in itertools.chain([first], chunks):
                stop_if_asked()
                if column not in frame.columns:
                    raise InputError(f"{source.name} 的部分行缺少列 {column!r}")
                prepared, todo = _prepare(frame, column, cache)
                in_flight = set().union(*(p[3] for p in pending))
                todo = [t for t in todo if t not in in_flight]  # being scored for an earlier chunk
                pending.append((frame, prepared, todo, set(todo), scorer.submit(todo)))
                drain(1)
            drain(0)
            if ledger:  # written before the screened file is renamed into place, so both or neither appear
                summary.leads = write_ledger(ledger, grouping.grouper, grouping.optional_columns())
        ok = True
    except BrokenProcessPool:
        raise ScreenerError("一个工作进程意外停止（被结束或内存不足），没有写出任何结果。"
                            "请重新运行，可减少 --jobs") from None
    finally:
        gc.unfreeze()
        if collecting:
            gc.enable()
        progress.close()
        scorer.close(cancel=not ok)
    summary.seconds = time.perf_counter() - started
    if not quiet:
        notify(summary.text(output or "标准输出"))
    return summary


def _progress(quiet: bool):
    from tqdm import tqdm

    return tqdm(unit=" rows", file=sys.stderr, disable=quiet or not sys.stderr.isatty(), mininterval=0.5)
