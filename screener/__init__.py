"""The screening application: everything above text-to-features.

Modules, lowest first (each imports only those above it in this list):

errors      errors a user can cause
config      default paths, thresholds and limits
files       sha256, atomic writes, timestamps
tables      reading and writing CSV/TSV/XLSX/JSONL/text tables
corpus      the labelled corpus: schema, labels, near-duplicates, splits
store       saved model versions, trust checks, the current pointer
scoring     a loaded model that scores, names the scheme and explains (never trains)
training    training, threshold choice, the scheme model, evaluation, the built-in model
report      how results read: human text, one line, table cells
campaigns   flagged ads grouped into campaigns (MinHash LSH, shared contacts)
ledger      the risk ledger workbook (风险台账)
batch       screening whole files in parallel
retrain/    new cases, adapting to a stream, candidate vs current and promotion
web/        the local web page and its JSON API
cli         options and error handling shared by train.py, predict.py and serve.py
"""
