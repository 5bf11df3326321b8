"""The local web app: paste an ad, screen a spreadsheet, record verdicts for the next retraining."""
from __future__ import annotations

import os
import queue
import shutil
import tempfile
import threading
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
from fastapi import FastAPI, File, Form, HTTPException, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from starlette.middleware.trustedhost import TrustedHostMiddleware
from pydantic import BaseModel, Field

from ..config import DEFAULT_CASES, DEFAULT_DATA
from ..errors import Cancelled, ScreenerError
from ..files import atomic_file, now_iso
from ..retrain.review import DEFAULT_BUDGET
from ..scoring import LONE_SURROGATE, Scorer
from ..store import ModelStore
from ..tables import XLSX_MAX_COLUMNS, XLSX_MAX_UNPACKED

MAX_TEXTS = 1_000
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_UPLOAD_ROWS = 200_000
MAX_REVIEW_BUDGET = 1_000
MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_REQUEST_CHARS = 1_000_000       # characters of all texts of one /api/score request
MAX_REQUEST_BYTES = 8 * 1024 * 1024  # any request that is not an upload
MULTIPART_OVERHEAD = 64 * 1024      # form headers around an uploaded file
UPLOAD_FORMATS = {".csv": ".csv", ".tsv": ".tsv", ".txt": ".csv", ".xlsx": ".xlsx", ".jsonl": ".jsonl"}
PENDING_COLUMNS = ["text", "label", "category", "who", "when", "source"]
STATIC = Path(__file__).with_name("static")


class ScoreRequest(BaseModel):
    texts: list[str] = Field(..., description="Ads to score, in order.")


class ReviewVerdict(BaseModel):
    row: int = Field(..., ge=0, description="Row of the queue, from 0.")
    verdict: str = Field(..., pattern="^(suspicious|false_alarm|skip)$",
                         description="suspicious 确认可疑, false_alarm 误报, skip 跳过 (takes a verdict back).")
    who: str = ""


class VerdictRequest(BaseModel):
    text: str
    label: int = Field(..., ge=0, le=1, description="1 confirmed suspicious (确认可疑), 0 false alarm (误报).")
    who: str = ""


@dataclass
class Retraining:
    """`train.py add` run from the page on the recorded verdicts."""

    status: str = "idle"          # idle, running, done, failed
    result: dict = field(default_factory=dict)
    error: str | None = None


@dataclass
class ReviewQueue:
    id: str
    rows: list
    summary: dict
    verdicts: dict = field(default_factory=dict)   # row -> verdict


@dataclass
class Job:
    id: str
    name: str
    folder: Path
    output: Path
    status: str = "queued"          # queued, running, done, failed, cancelled
    rows_done: int = 0
    error: str | None = None
    summary: dict = field(default_factory=dict)
    cancel: threading.Event = field(default_factory=threading.Event)

    @property
    def ledger(self) -> Path:
        return self.folder / "ledger.xlsx"

    @property
    def source(self) -> Path:
        """The upload, kept while the server runs so that the 待复核 tab can build a queue from it."""
        return next(self.folder.glob("upload.*"), self.folder / "upload")


class PendingCases:
    """The inspector's verdicts from the page, kept in the file `train.py add` reads."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.lock = threading.Lock()

    @staticmethod
    def _read(path: Path) -> pd.DataFrame:
        if not path.is_file():
            return pd.DataFrame(columns=PENDING_COLUMNS)
        return pd.read_csv(path, dtype=str, keep_default_na=False)

    def _write(self, verdicts: pd.DataFrame) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_file(self.path) as (f, _):
            verdicts.to_csv(f, index=False)
        return len(verdicts)

    def count(self) -> int:
        return len(self._read(self.path))

    def record(self, text: str, label: int, who: str) -> int:
        with self.lock:
            existing = self._read(self.path)
            row = {"text": text, "label": str(label), "category": "", "who": who, "when": now_iso(),
                   "source": "web"}
            existing = existing[existing["text"] != text]  # a changed verdict replaces the earlier one
            return self._write(pd.concat([existing, pd.DataFrame([row])], ignore_index=True)[PENDING_COLUMNS])

    def remove(self, text: str) -> int:
        """A verdict taken back (跳过): the text leaves the file."""
        with self.lock:
            if not self.path.is_file():
                return 0
            existing = self._read(self.path)
            return self._write(existing[existing["text"] != text])

    def take(self) -> Path | None:
        """The file as it is now, moved aside for `add` (verdicts recorded meanwhile start a new file)."""
        with self.lock:
            if not self.path.is_file():
                return None
            taken = self.path.with_name(f".{self.path.name}.adding")
            os.replace(self.path, taken)
            return taken

    def give_back(self, taken: Path) -> None:
        """Put verdicts that were not added back in front of any recorded meanwhile."""
        with self.lock:
            merged = pd.concat([self._read(taken), self._read(self.path)], ignore_index=True)
            self._write(merged.drop_duplicates("text", keep="last"))
            taken.unlink()


def create_app(screener: Scorer, models_dir: Path, pending_path: Path, work_dir: Path | None = None,
               jobs: int = 1, corpus_path: Path = DEFAULT_DATA, cases_path: Path = DEFAULT_CASES,
               allowed_hosts: list[str] | None = None, case_weight: float | None = None) -> FastAPI:
    """The app, around one loaded model (replaced when the page promotes a retrained one).

    ``case_weight``: how much a verdict counts in retraining against an authored text (``train.py add
    --case-weight``; None: its default).

    ``allowed_hosts``: the Host names the server answers to (others get 400, which stops DNS
    rebinding); None answers any. Without ``work_dir`` uploads go to a temporary folder that is
    removed when the server stops.
    """
    work = Path(work_dir or tempfile.mkdtemp(prefix="ad-screener-"))
    screen_jobs: dict[str, Job] = {}
    job_queue: queue.Queue = queue.Queue()

    worker: list[threading.Thread] = []
    worker_lock = threading.Lock()

    def enqueue(item) -> None:
        with worker_lock:
            if not worker:
                worker.append(threading.Thread(target=_job_worker, args=(job_queue,), daemon=True))
                worker[0].start()
        job_queue.put(item)

    @asynccontextmanager
    async def lifespan(_app):
        yield
        for job in screen_jobs.values():
            job.cancel.set()
        if worker:
            job_queue.put(None)
            worker[0].join(timeout=30)
        if work_dir is None:
            shutil.rmtree(work, ignore_errors=True)

    app = FastAPI(title="广告风险筛查", description="Screen Chinese ads for illegal-fundraising and elder-fraud risk.",
                  lifespan=lifespan)
    app.add_middleware(SameOriginWrites)
    app.add_middleware(BodyLimit)
    if allowed_hosts is not None:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)
    pending = PendingCases(pending_path)
    reviews: dict[str, ReviewQueue] = {}
    retraining = Retraining()
    retrain_lock = threading.Lock()
    model = {"scorer": screener}

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page():
        return (STATIC / "index.html").read_text(encoding="utf-8")

    @app.get("/api/info")
    def info():
        """The model in use and how many recorded verdicts await retraining."""
        screener = model["scorer"]
        return {"model": screener.version, "threshold": screener.threshold, "high_from": screener.levels.high,
                "pending_cases": pending.count(), "pending_file": str(pending_path),
                "limits": {"texts_per_request": MAX_TEXTS, "characters_per_request": MAX_REQUEST_CHARS,
                           "request_bytes": MAX_REQUEST_BYTES, "upload_bytes": MAX_UPLOAD_BYTES,
                           "upload_rows": MAX_UPLOAD_ROWS, "xlsx_columns": XLSX_MAX_COLUMNS,
                           "xlsx_unpacked_bytes": XLSX_MAX_UNPACKED, "review_budget": MAX_REVIEW_BUDGET,
                           "image_bytes": MAX_IMAGE_BYTES,
                           "screening_jobs_at_once": 1}}

    @app.post("/api/score")
    def score(request: ScoreRequest):
        """Score ads: {"texts": [...]} -> {"results": [...]}, in input order."""
        if len(request.texts) > MAX_TEXTS:
            raise HTTPException(413, f"每次请求最多 {MAX_TEXTS} 条；其余的请分批发送，或上传文件")
        characters = sum(len(t) for t in request.texts)
        if characters > MAX_REQUEST_CHARS:
            raise HTTPException(413, f"每次请求最多 {MAX_REQUEST_CHARS:,} 字（这次 {characters:,} 字）；"
                                     "请分批发送，或上传文件")
        return {"results": [r.to_dict() for r in model["scorer"].score_ads(request.texts)]}

    @app.post("/api/score-image")
    def score_image(file: UploadFile = File(...)):
        """Read the ad off a photo and score it: the result of /api/score plus ocr_text, ocr_confidence, the
        image's size, and boxes (x0, y0, x1, y1 in pixels) for each red flag's evidence."""
        from ..ocr import score_photo

        data = file.file.read(MAX_IMAGE_BYTES + 1)
        if len(data) > MAX_IMAGE_BYTES:
            raise HTTPException(413, f"图片超过 {MAX_IMAGE_BYTES // 2**20} MB；请缩小后重试")
        try:
            return score_photo(model["scorer"], data, file.filename or "image").to_dict()
        except ScreenerError as e:
            raise HTTPException(422, str(e))

    @app.post("/api/cases")
    def record_case(request: VerdictRequest):
        """Record an inspector's verdict in the new-cases file for `train.py add`."""
        if not request.text.strip():
            raise HTTPException(422, "广告内容为空")
        if LONE_SURROGATE.search(request.text):
            raise HTTPException(422, "广告含有无效字符（孤立的代理码位），无法记录")
        return {"pending_cases": pending.record(request.text, request.label, request.who),
                "file": str(pending_path)}

    @app.post("/api/screen")
    def upload(file: UploadFile = File(...)):
        """Upload a CSV/TSV/XLSX/JSONL/text file; screening runs in the background (poll the job)."""
        job_id = uuid.uuid4().hex[:12]
        folder = work / job_id
        source = _save_upload(file, folder, "筛查", "请用 `python predict.py --input 文件` 筛查")
        stem = Path(file.filename).stem or "listings"
        job = Job(job_id, file.filename, folder, folder / f"{stem}_screened{UPLOAD_FORMATS[source.suffix]}")
        screen_jobs[job_id] = job
        enqueue((job, source, model["scorer"], models_dir, jobs))
        return {"job": job_id, "status": job.status, "ahead": ahead_of(job)}

    @app.delete("/api/screen/{job_id}")
    def cancel(job_id: str):
        """Stop a queued or running screening job; nothing of it is written."""
        job = screen_jobs.get(job_id)
        if job is None:
            raise HTTPException(404, "没有这个筛查任务")
        if job.status in ("queued", "running"):
            job.cancel.set()
            if job.status == "queued":
                job.status = "cancelled"
        return {"job": job.id, "status": job.status}

    @app.get("/api/screen/{job_id}")
    def job_status(job_id: str):
        """Progress of a screening job; when done, the summary, histogram and flagged rows."""
        job = screen_jobs.get(job_id)
        if job is None:
            raise HTTPException(404, "没有这个筛查任务")
        return {"job": job.id, "name": job.name, "status": job.status, "rows_done": job.rows_done,
                "ahead": ahead_of(job), "error": job.error, **job.summary}

    def ahead_of(job: Job) -> int:
        """Jobs that run before a queued one."""
        if job.status != "queued":
            return 0
        earlier = list(screen_jobs.values())
        return sum(j.status in ("queued", "running") for j in earlier[:earlier.index(job)])

    def finished(job_id: str) -> Job:
        job = screen_jobs.get(job_id)
        if job is None or job.status != "done":
            raise HTTPException(404, "没有这个已完成的筛查任务")
        return job

    @app.get("/api/screen/{job_id}/download")
    def download(job_id: str):
        """The full screened file, as `predict.py --input` writes it."""
        job = finished(job_id)
        return FileResponse(job.output, filename=job.output.name)

    @app.get("/api/screen/{job_id}/ledger")
    def ledger(job_id: str):
        """The risk ledger (风险台账) of the screened file, as `predict.py --ledger` writes it."""
        job = finished(job_id)
        return FileResponse(job.ledger, filename=f"{Path(job.name).stem}_风险台账.xlsx")

    @app.post("/api/review")
    def review(file: UploadFile | None = File(None), job: str | None = Form(None),
               budget: int = Form(DEFAULT_BUDGET, ge=1, le=MAX_REVIEW_BUDGET)):
        """The review queue (待复核) of an uploaded stream, or of a file screened here (``job``)."""
        from ..retrain.promotion import review_stream

        if file is not None and file.filename:
            folder = work / f"review-{uuid.uuid4().hex[:12]}"
            source = _save_upload(file, folder, "读取", "请用 `python train.py review 文件` 生成复核队列")
            name = file.filename
        elif job:
            screened = screen_jobs.get(job)
            if screened is None or screened.status != "done" or not screened.source.is_file():
                raise HTTPException(404, "没有这个已完成的筛查任务；请先上传文件筛查，或直接上传要复核的文件")
            source, name = screened.source, screened.name
        else:
            raise HTTPException(422, "请上传要复核的文件，或选择一个已筛查的文件")
        try:
            queue = review_stream(str(source), corpus_path=corpus_path, cases_path=cases_path,
                                  pending_path=pending.path, store=ModelStore(models_dir), budget=budget,
                                  scorer=model["scorer"])
        except ScreenerError as e:
            raise HTTPException(422, str(e))
        review_id = uuid.uuid4().hex[:12]
        rows = queue.table.assign(row=range(len(queue.table))).to_dict(orient="records")
        summary = {"file": name, "rows_read": queue.stream.rows_read, "rows_known": queue.stream.rows_known,
                   "groups": queue.groups - queue.excluded_groups}
        reviews[review_id] = ReviewQueue(review_id, rows, summary)
        return {"review": review_id, "rows": rows, **summary, "pending_cases": pending.count()}

    @app.post("/api/review/{review_id}/verdict")
    def review_verdict(review_id: str, request: ReviewVerdict):
        """确认可疑 / 误报 record the ad in the new-cases file; 跳过 takes a verdict back."""
        queue = reviews.get(review_id)
        if queue is None:
            raise HTTPException(404, "没有这个复核队列；请重新生成")
        if request.row >= len(queue.rows):
            raise HTTPException(422, f"复核队列只有 {len(queue.rows)} 行")
        text = queue.rows[request.row]["text"]
        if request.verdict == "skip":
            count = pending.remove(text)
            queue.verdicts.pop(request.row, None)
        else:
            count = pending.record(text, 1 if request.verdict == "suspicious" else 0, request.who)
            queue.verdicts[request.row] = request.verdict
        return {"pending_cases": count, "verdicts": queue.verdicts,
                "remaining": len(queue.rows) - len(queue.verdicts)}

    @app.post("/api/retrain", status_code=202)
    def retrain():
        """Run `train.py add` on the recorded verdicts in the background: candidate, comparison, promote or refuse."""
        if not retrain_lock.acquire(blocking=False):
            raise HTTPException(409, "已有一个重新训练正在进行；请等它完成")
        taken = pending.take()
        if taken is None:
            retrain_lock.release()
            raise HTTPException(422, "还没有记录任何判定；请先在复核队列或评估结果中标注")
        retraining.status, retraining.result, retraining.error = "running", {}, None

        def run():
            from ..retrain.promotion import add_cases, comparison_table
            from ..scoring import load_scorer

            try:
                result = add_cases(str(taken), corpus_path=corpus_path, cases_path=cases_path,
                                   store=ModelStore(models_dir), case_weight=case_weight)
                table = comparison_table(result["comparison"]) if result.get("comparison") else ""
                retraining.result = {"added": result["added"], "duplicates": result["duplicates"],
                                     "promoted": result["promoted"], "version": result["version"],
                                     "comparison": result.get("comparison"), "table": table}
                if result["promoted"]:
                    model["scorer"] = load_scorer(models_dir, result["version"])
                if result["promoted"] or not result["added"]:
                    taken.unlink()
                else:
                    pending.give_back(taken)
                retraining.status = "done"
            except Exception as e:  # the verdicts are kept for the next try
                pending.give_back(taken)
                retraining.error = str(e) if isinstance(e, ScreenerError) else f"重新训练失败（{type(e).__name__}: {e}）"
                retraining.status = "failed"
            finally:
                retrain_lock.release()

        threading.Thread(target=run, daemon=True).start()
        return {"status": retraining.status}

    @app.get("/api/retrain")
    def retrain_status():
        """The last retraining from the page: running, or its comparison table and whether it was promoted."""
        return {"status": retraining.status, "error": retraining.error, **retraining.result,
                "model": model["scorer"].version, "pending_cases": pending.count()}

    return app


class BodyLimit:
    """Refuse a request body past its limit while it arrives, not after it was spooled to disk."""

    UPLOADS = ("/api/screen", "/api/review", "/api/score-image")

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        upload = scope["path"] in self.UPLOADS
        limit = MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD if upload else MAX_REQUEST_BYTES
        advice = ("请用 `python predict.py --input 文件` 筛查" if upload else "请分批发送")
        message = f"请求超过 {limit // 2**20} MB；{advice}"
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return await JSONResponse({"detail": message}, status_code=413)(scope, receive, send)
        received, started, refused = 0, False, False

        async def counted_receive():
            nonlocal received, refused
            event = await receive()
            if event["type"] == "http.request":
                received += len(event.get("body", b""))
                if received > limit and not refused:
                    refused = True  # answer now: the app's body parser would turn any error into a 400
                    if not started:
                        await JSONResponse({"detail": message}, status_code=413)(scope, receive, send)
                    raise _TooLarge
            return event

        async def tracked_send(event):
            nonlocal started
            if refused:
                return  # the 413 has been sent
            started = started or event["type"] == "http.response.start"
            await send(event)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except _TooLarge:
            pass


class _TooLarge(Exception):
    pass


class SameOriginWrites:
    """Requests that change state (uploads, verdicts, retraining) only from the page's own origin.

    A browser names the page that sent a request in ``Origin``; another site's page cannot
    post files or verdicts here. Programs that send no ``Origin`` (curl) are not browsers.
    """

    SAFE = ("GET", "HEAD", "OPTIONS")

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] not in self.SAFE:
            headers = dict(scope.get("headers") or [])
            origin = headers.get(b"origin", b"").decode("latin-1")
            host = headers.get(b"host", b"").decode("latin-1")
            if origin and (origin == "null" or urlsplit(origin).netloc != host):
                response = JSONResponse({"detail": "拒绝来自其他网站的请求：请在本页面上操作"}, status_code=403)
                return await response(scope, receive, send)
        await self.app(scope, receive, send)


def _save_upload(file: UploadFile, folder: Path, verb: str, instead: str) -> Path:
    """The upload in folder, refused (415) unless a table format, read in blocks and refused (413, nothing kept)
    past MAX_UPLOAD_BYTES."""
    suffix = Path(file.filename or "").suffix.lower()
    if suffix not in UPLOAD_FORMATS:
        raise HTTPException(415, f"无法{verb} {file.filename!r}：请上传 .csv、.tsv、.txt、.xlsx 或 .jsonl 文件")
    folder.mkdir(parents=True)
    source = folder / f"upload{suffix}"
    size = 0
    with open(source, "wb") as out:
        while block := file.file.read(1 << 20):
            size += len(block)
            if size > MAX_UPLOAD_BYTES:
                out.close()
                shutil.rmtree(folder, ignore_errors=True)
                raise HTTPException(413, f"文件超过 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB；{instead}")
            out.write(block)
    return source


def _job_worker(job_queue: queue.Queue) -> None:
    """One screening job at a time: a file uses every worker process it is given; others wait their turn."""
    while (item := job_queue.get()) is not None:
        job = item[0]
        if job.cancel.is_set():
            job.status = "cancelled"
            shutil.rmtree(job.folder, ignore_errors=True)
            continue
        _run_job(*item)


def _run_job(job: Job, source: Path, screener: Scorer, models_dir: Path, jobs: int) -> None:
    from ..batch import screen_file

    def progress(rows):
        job.rows_done = rows

    job.status = "running"
    try:
        summary = screen_file(str(source), str(job.output), quiet=True, jobs=jobs, models_dir=models_dir,
                              screener=screener, on_progress=progress, keep_top=500, max_rows=MAX_UPLOAD_ROWS,
                              ledger=str(job.ledger), should_stop=job.cancel.is_set)
        job.summary = {"rows": summary.rows, "scored": summary.scored, "errors": summary.errors,
                       "levels": summary.levels, "histogram": summary.histogram, "seconds": round(summary.seconds, 2),
                       "flagged": summary.flagged_rows(), "download": f"/api/screen/{job.id}/download",
                       "leads": summary.leads, "ledger": f"/api/screen/{job.id}/ledger"}
        job.rows_done = summary.rows
        job.status = "done"
    except Cancelled:
        job.status = "cancelled"
    except ScreenerError as e:
        job.error, job.status = _without_paths(str(e), job), "failed"
    except Exception as e:  # a broken upload must not stop the server
        job.error, job.status = _without_paths(f"文件无法筛查（{type(e).__name__}: {e}）", job), "failed"
    finally:
        if job.status != "done":
            shutil.rmtree(job.folder, ignore_errors=True)


def _without_paths(message: str, job: Job) -> str:
    """An error as the uploader may read it: the server's folders replaced by the upload's name."""
    for path in sorted((str(p) for p in job.folder.glob("*")), key=len, reverse=True):
        message = message.replace(path, job.name)
    return message.replace(str(job.folder), "")
