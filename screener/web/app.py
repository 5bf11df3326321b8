"""The local web app: paste an ad, screen a spreadsheet, record verdicts for the next retraining."""
from __future__ import annotations

import shutil
import tempfile
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from fastapi import FastAPI, File, HTTPException, UploadFile
from fastapi.responses import FileResponse, HTMLResponse
from pydantic import BaseModel, Field

from ..errors import ScreenerError
from ..files import atomic_file, now_iso
from ..scoring import LONE_SURROGATE, Scorer

MAX_TEXTS = 1_000
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_UPLOAD_ROWS = 200_000
UPLOAD_FORMATS = {".csv": ".csv", ".tsv": ".tsv", ".txt": ".csv", ".xlsx": ".xlsx", ".jsonl": ".jsonl"}
PENDING_COLUMNS = ["text", "label", "category", "who", "when", "source"]
STATIC = Path(__file__).with_name("static")


class ScoreRequest(BaseModel):
    texts: list[str] = Field(..., description="Ads to score, in order.")


class VerdictRequest(BaseModel):
    text: str
    label: int = Field(..., ge=0, le=1, description="1 confirmed suspicious (确认可疑), 0 false alarm (误报).")
    who: str = ""


@dataclass
class Job:
    id: str
    name: str
    folder: Path
    output: Path
    status: str = "running"

    @property
    def ledger(self) -> Path:
        return self.folder / "ledger.xlsx"
    rows_done: int = 0
    error: str | None = None
    summary: dict = field(default_factory=dict)


class PendingCases:
    """The inspector's verdicts from the page, kept in the file `train.py add` reads."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.lock = threading.Lock()

    def count(self) -> int:
        if not self.path.is_file():
            return 0
        return len(pd.read_csv(self.path, dtype=str, keep_default_na=False))

    def record(self, text: str, label: int, who: str) -> int:
        with self.lock:
            existing = (pd.read_csv(self.path, dtype=str, keep_default_na=False) if self.path.is_file()
                        else pd.DataFrame(columns=PENDING_COLUMNS))
            row = {"text": text, "label": str(label), "category": "", "who": who, "when": now_iso(),
                   "source": "web"}
            existing = existing[existing["text"] != text]  # a changed verdict replaces the earlier one
            updated = pd.concat([existing, pd.DataFrame([row])], ignore_index=True)[PENDING_COLUMNS]
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_file(self.path) as (f, _):
                updated.to_csv(f, index=False)
            return len(updated)


def create_app(screener: Scorer, models_dir: Path, pending_path: Path, work_dir: Path | None = None,
               jobs: int = 1) -> FastAPI:
    """The app, around one loaded model."""
    app = FastAPI(title="广告风险筛查", description="Screen Chinese ads for illegal-fundraising and elder-fraud risk.")
    pending = PendingCases(pending_path)
    work = Path(work_dir or tempfile.mkdtemp(prefix="ad-screener-"))
    screen_jobs: dict[str, Job] = {}

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page():
        return (STATIC / "index.html").read_text(encoding="utf-8")

    @app.get("/api/info")
    def info():
        """The model in use and how many recorded verdicts await retraining."""
        return {"model": screener.version, "threshold": screener.threshold, "high_from": screener.levels.high,
                "pending_cases": pending.count(), "pending_file": str(pending_path),
                "limits": {"texts_per_request": MAX_TEXTS, "upload_bytes": MAX_UPLOAD_BYTES,
                           "upload_rows": MAX_UPLOAD_ROWS}}

    @app.post("/api/score")
    def score(request: ScoreRequest):
        """Score ads: {"texts": [...]} -> {"results": [...]}, in input order."""
        if len(request.texts) > MAX_TEXTS:
            raise HTTPException(413, f"每次请求最多 {MAX_TEXTS} 条；其余的请分批发送，或上传文件")
        return {"results": [r.to_dict() for r in screener.score_ads(request.texts)]}

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
        suffix = Path(file.filename or "").suffix.lower()
        if suffix not in UPLOAD_FORMATS:
            raise HTTPException(415, f"无法筛查 {file.filename!r}：请上传 .csv、.tsv、.txt、.xlsx 或 .jsonl 文件")
        job_id = uuid.uuid4().hex[:12]
        folder = work / job_id
        folder.mkdir(parents=True)
        source = folder / f"upload{suffix}"
        size = 0
        with open(source, "wb") as out:
            while block := file.file.read(1 << 20):
                size += len(block)
                if size > MAX_UPLOAD_BYTES:
                    out.close()
                    shutil.rmtree(folder, ignore_errors=True)
                    raise HTTPException(413, f"文件超过 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB；"
                                             "请用 `python predict.py --input 文件` 筛查")
                out.write(block)
        stem = Path(file.filename).stem or "listings"
        job = Job(job_id, file.filename, folder, folder / f"{stem}_screened{UPLOAD_FORMATS[suffix]}")
        screen_jobs[job_id] = job
        threading.Thread(target=_run_job, args=(job, source, screener, models_dir, jobs), daemon=True).start()
        return {"job": job_id, "status": job.status}

    @app.get("/api/screen/{job_id}")
    def job_status(job_id: str):
        """Progress of a screening job; when done, the summary, histogram and flagged rows."""
        job = screen_jobs.get(job_id)
        if job is None:
            raise HTTPException(404, "没有这个筛查任务")
        return {"job": job.id, "name": job.name, "status": job.status, "rows_done": job.rows_done,
                "error": job.error, **job.summary}

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

    return app


def _run_job(job: Job, source: Path, screener: Scorer, models_dir: Path, jobs: int) -> None:
    from ..batch import screen_file

    def progress(rows):
        job.rows_done = rows

    try:
        summary = screen_file(str(source), str(job.output), quiet=True, jobs=jobs, models_dir=models_dir,
                              screener=screener, on_progress=progress, keep_top=500, max_rows=MAX_UPLOAD_ROWS,
                              ledger=str(job.ledger))
        job.summary = {"rows": summary.rows, "scored": summary.scored, "errors": summary.errors,
                       "levels": summary.levels, "histogram": summary.histogram, "seconds": round(summary.seconds, 2),
                       "flagged": summary.flagged_rows(), "download": f"/api/screen/{job.id}/download",
                       "leads": summary.leads, "ledger": f"/api/screen/{job.id}/ledger"}
        job.rows_done = summary.rows
        job.status = "done"
    except ScreenerError as e:
        job.error, job.status = str(e), "failed"
    except Exception as e:  # a broken upload must not stop the server
        job.error, job.status = f"文件无法筛查（{type(e).__name__}: {e}）", "failed"
    finally:
        source.unlink(missing_ok=True)
