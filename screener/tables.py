"""Reading and writing the tables inspectors work with: CSV, TSV, XLSX, JSONL and plain text.

Readers stream: they yield DataFrames of at most ``chunk_size`` rows, every cell as
it was (text stays text, Excel numbers stay numbers), so a file of any size can
be screened in bounded memory. Errors a user can cause raise ``InputError``.
"""
from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from features.normalise import HAS_CJK, LONE_SURROGATE

from .errors import InputError
from .files import atomic_file

FORMATS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".txt": "txt", ".xlsx": "xlsx", ".xlsm": "xlsx",
           ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".parquet": "parquet"}
OUTPUT_FORMATS = {".csv": "csv", ".tsv": "tsv", ".xlsx": "xlsx", ".jsonl": "jsonl", ".ndjson": "jsonl",
                  ".parquet": "parquet"}
TEXT_COLUMN_NAMES = ("text", "content", "内容", "文本", "message", "msg", "短信内容", "短信", "正文", "body",
                     "广告内容", "广告", "ad", "ad_text", "帖子内容", "描述", "description", "详情")
SAMPLE_BYTES = 1 << 20
XLSX_MAX_ROWS = 1_048_575
XLSX_MAX_COLUMNS = 1_000
XLSX_MAX_UNPACKED = 2 * 2**30   # bytes of a workbook's unpacked parts


@dataclass
class Source:
    """An input: a path (or '-' for stdin), its format and its text encoding."""

    path: str
    format: str
    encoding: str | None = None
    data: bytes | None = None  # stdin, read once

    @property
    def name(self) -> str:
        return "standard input" if self.path == "-" else self.path


def detect_encoding(sample: bytes) -> str:
    """UTF-8 (with or without BOM) or GB18030, judged from the first bytes of a file."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
            return encoding
        except UnicodeDecodeError:
            continue
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError as e:
        line = sample.count(b"\n", 0, e.start) + 1
        raise InputError(f"无法判断文件的文字编码：按 UTF-8 读到第 {line} 行（文件第 {e.start} 字节）出错，"
                         "按 GBK/GB18030 也读不通。若只是这一行有坏字节，请修正它；否则请用 --encoding 指定，"
                         "例如 --encoding big5") from None
    raise InputError("无法判断文件的文字编码（既不是 UTF-8 也不是 GBK/GB18030）；"
                     "请用 --encoding 指定，例如 --encoding big5")


def _sniff_format(data: bytes) -> str:
    head = data[:SAMPLE_BYTES]
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"PAR1"):
        return "parquet"
    text = head.decode("utf-8", errors="ignore").lstrip("\ufeff \r\n\t")
    if text.startswith("{"):
        return "jsonl"
    first = text.split("\n", 1)[0]
    if "\t" in first:
        return "tsv"
    if "," in first:
        return "csv"
    return "txt"


def open_source(path: str, encoding: str | None = None, format: str | None = None) -> Source:
    """Check that an input exists and can be read, and settle its format and encoding."""
    if path == "-":
        data = sys.stdin.buffer.read()
        fmt = format or _sniff_format(data)
        source = Source("-", fmt, data=data)
        sample = data[:SAMPLE_BYTES]
    else:
        p = Path(path)
        if not p.exists():
            raise InputError(f"找不到输入文件：{path}")
        if p.is_dir():
            raise InputError(f"输入的是文件夹，不是文件：{path}")
        fmt = format or FORMATS.get(p.suffix.lower())
        with open(p, "rb") as f:
            sample = f.read(SAMPLE_BYTES)
        if fmt is None:
            fmt = _sniff_format(sample)
        source = Source(path, fmt)
    if source.format == "parquet":
        if not sample.startswith(b"PAR1"):
            raise InputError(f"{source.name} 不是 Parquet 文件（开头没有 PAR1 标记）；请检查文件或扩展名")
        return source
    if source.format == "xlsx":
        if not sample.startswith(b"PK\x03\x04"):
            raise InputError(f"{source.name} 不是 Excel .xlsx 工作簿（可能是旧的 .xls 或改了扩展名的其他文件）；"
                             "请另存为 .xlsx 或 CSV 后重试")
        return source
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError(f"未知编码 {encoding!r}；可用 utf-8、gb18030、gbk 或 big5 等") from None
        try:
            codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
        except UnicodeDecodeError as e:
            raise InputError(f"{source.name} 无法按 {encoding} 解码（第 {e.start} 字节附近有错误字节）；"
                             "请指定正确的 --encoding，或不指定让程序自动判断") from None
        source.encoding = encoding
    else:
        try:
            source.encoding = detect_encoding(sample)
        except InputError as e:
            raise InputError(f"{source.name}：{e}") from None
    return source


def _binary(source: Source):
    return io.BytesIO(source.data) if source.data is not None else open(source.path, "rb")


def _decode_error(source: Source, e: UnicodeDecodeError) -> InputError:
    return InputError(f"{source.name} 含有不符合 {source.encoding} 编码的字节（某数据块第 {e.start} 字节）；"
                      "请指定正确的 --encoding，或把文件另存为 UTF-8")


MAX_QUOTED_LINES = 100  # a quoted cell longer than this many lines is a quote left open, not an ad


def check_lines(source: Source, sep: str | None = None) -> None:
    """One pass over the raw lines before parsing, so that a broken file stops with where it broke.

    Every line must decode. In CSV/TSV (``sep``) no cell may swallow whole records: a quote
    left open merges the rows after it into one cell, and rows would be lost without a word.
    A cell with line breaks is refused when one of its lines holds as many separators as a
    record (and, in a file whose records all start with a number, starts with one too: a post
    with commas in an id,text export is not a swallowed record), or when it runs over
    MAX_QUOTED_LINES lines.
    Cells are found by the csv module's strict rules: a quote opens a cell only at its start
    (a quote inside an unquoted cell is text, as pandas reads it), and a quoted cell must end
    at a separator or a line end.
    """
    if source.encoding == "utf-16":  # lines are not split at single b"\n" bytes there; the decoder checks it
        return
    position = {"line": 0, "offset": 0}

    def decoded_lines():
        with _binary(source) as f:
            for raw in f:
                position["line"] += 1
                try:
                    text = raw.decode(source.encoding)
                except UnicodeDecodeError as e:
                    raise InputError(f"{source.name} 第 {position['line']} 行（文件第 {position['offset'] + e.start} 字节）"
                                     f"含有不符合 {source.encoding} 编码的字节；请修正该行，或用 --encoding 指定正确的编码"
                                     ) from None
                position["offset"] += len(raw)
                yield text

    if sep is None:
        for _ in decoded_lines():
            pass
        return
    reader = csv.reader(decoded_lines(), delimiter=sep, strict=True)
    fields, last_line, record_offset = None, 0, 0
    numbered = True  # every record so far starts with a number (an id column): then a swallowed record does too

    def record_like(line: str) -> bool:
        return line.count(sep) >= fields - 1 and (not numbered or line.split(sep, 1)[0].strip().isdigit())

    try:
        for record in reader:
            spanned = reader.line_num - last_line
            if fields is None:
                fields = len(record)
            else:
                if spanned > 1:
                    inner = [line for cell in record if "\n" in cell for line in cell.split("\n")[1:]]
                    if spanned > MAX_QUOTED_LINES or (fields > 1 and any(map(record_like, inner))):
                        raise _open_quote(source, last_line + 1, record_offset, spanned)
                numbered = numbered and bool(record) and record[0].strip().isdigit()
            last_line, record_offset = reader.line_num, position["offset"]
    except csv.Error:  # a quote that closes a cell where no cell ends, or the file ends inside a quote
        raise _open_quote(source, last_line + 1, record_offset, reader.line_num - last_line) from None


def _open_quote(source: Source, line: int, at: int, spanned: int) -> InputError:
    return InputError(f"{source.name} 第 {line} 行（从文件第 {at} 字节起）有引号没有正确闭合：到第 {line + spanned - 1} "
                      "行的内容会被并进同一个单元格，数据行会丢失，因此没有筛查。请修正该行的引号（单元格中的引号须写成两个 \"\"），"
                      "或在 Excel 中另存为标准 CSV 后重试")


def _csv_chunks(source: Source, chunk_size: int, sep: str) -> Iterator[pd.DataFrame]:
    check_lines(source, sep)
    # Bytes, decoded by pandas: a text stream would be encoded back to UTF-8 for its parser (a third of the time).
    stream = _binary(source)
    try:
        # object, not str: every cell is still text, but without pandas' Arrow strings, which cost more than
        # twice the parsing to make and again to turn back into the Python strings the rows are scored as.
        reader = pd.read_csv(stream, sep=sep, encoding=source.encoding, dtype=object, keep_default_na=False,
                             chunksize=chunk_size, engine="c", on_bad_lines="error")
        yield from reader
    except pd.errors.EmptyDataError:
        return
    except pd.errors.ParserError as e:
        raise InputError(f"{source.name} 不是格式正确的 {'TSV' if sep == chr(9) else 'CSV'} 文件：{e}") from None
    except UnicodeDecodeError as e:
        raise _decode_error(source, e) from None
    finally:
        stream.close()


def _lines(source: Source) -> Iterator[str]:
    """Decoded lines of a text input, without their line ends."""
    stream = io.TextIOWrapper(_binary(source), encoding=source.encoding, newline=None)
    try:
        for line in stream:
            yield line.rstrip("\n")
    except UnicodeDecodeError as e:
        raise _decode_error(source, e) from None
    finally:
        stream.close()


def _batched(records, chunk_size: int) -> Iterator[list]:
    batch = []
    for record in records:
        batch.append(record)
        if len(batch) >= chunk_size:
            yield batch
            batch = []
    if batch:
        yield batch


def _txt_chunks(source: Source, chunk_size: int) -> Iterator[pd.DataFrame]:
    check_lines(source)
    for batch in _batched(_lines(source), chunk_size):
        yield pd.DataFrame({"text": batch}, dtype=object)  # object: a broken character stays for its row's error


def _json_objects(source: Source) -> Iterator[dict]:
    for n, line in enumerate(_lines(source), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise InputError(f"{source.name} 第 {n} 行不是有效的 JSON（{e.msg}）；每行须是一个 JSON 对象") from None
        if not isinstance(obj, dict):
            raise InputError(f"{source.name} 第 {n} 行不是 JSON 对象；每行须是一个对象，"
                             '例如 {"text": "..."}')
        yield obj


def _jsonl_chunks(source: Source, chunk_size: int) -> Iterator[pd.DataFrame]:
    check_lines(source)
    for batch in _batched(_json_objects(source), chunk_size):
        yield pd.DataFrame(batch, dtype=object)


def _xlsx_chunks(source: Source, chunk_size: int) -> Iterator[pd.DataFrame]:
    import openpyxl

    _check_xlsx_size(source)
    try:
        workbook = openpyxl.load_workbook(_binary(source), read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for a broken file
        raise InputError(f"{source.name} 无法作为 Excel 工作簿读取（{type(e).__name__}: {e}）；"
                         "请在 Excel 中打开后重新保存为 .xlsx，或导出为 CSV") from None
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # the declared size is the file's claim; read only the rows it holds
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            return
        header = list(header)
        while header and header[-1] in (None, ""):
            header.pop()
        if len(header) > XLSX_MAX_COLUMNS:
            raise InputError(f"{source.name} 的表头有 {len(header):,} 列，超过 {XLSX_MAX_COLUMNS} 列的上限；"
                             "请只导出需要的列")
        columns = [str(c) if c is not None else f"column{i + 1}" for i, c in enumerate(header)]
        width = len(columns)

        def padded(row):
            values = list(row[:width]) + [None] * (width - len(row))
            return ["" if v is None else v for v in values]

        for batch in _batched((padded(row or ()) for row in rows), chunk_size):
            yield pd.DataFrame(batch, columns=columns, dtype=object)
    finally:
        workbook.close()


def _parquet_chunks(source: Source, chunk_size: int) -> Iterator[pd.DataFrame]:
    """Rows of a Parquet file in batches, streamed from its row groups."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(_binary(source))
        for batch in parquet.iter_batches(batch_size=chunk_size):
            yield batch.to_pandas()
    except (pa.ArrowException, OSError) as e:
        raise InputError(f"{source.name} 无法作为 Parquet 文件读取（{e}）") from None


def _check_xlsx_size(source: Source) -> None:
    """Refuse a workbook whose parts would unpack to more than XLSX_MAX_UNPACKED bytes (a zip bomb)."""
    import zipfile

    try:
        with zipfile.ZipFile(_binary(source)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        return  # openpyxl says what is wrong with it
    if unpacked > XLSX_MAX_UNPACKED:
        raise InputError(f"{source.name} 解压后有 {unpacked / 2**30:.1f} GB，超过 {XLSX_MAX_UNPACKED / 2**30:.0f} GB 的上限"
                         "（可能是压缩炸弹）；请导出为 CSV 后筛查")


def read_chunks(source: Source, chunk_size: int = 20_000) -> Iterator[pd.DataFrame]:
    """The rows of an input in order, as DataFrames of at most chunk_size rows."""
    if source.format == "csv":
        return _csv_chunks(source, chunk_size, ",")
    if source.format == "tsv":
        return _csv_chunks(source, chunk_size, "\t")
    if source.format == "txt":
        return _txt_chunks(source, chunk_size)
    if source.format == "jsonl":
        return _jsonl_chunks(source, chunk_size)
    if source.format == "xlsx":
        return _xlsx_chunks(source, chunk_size)
    if source.format == "parquet":
        return _parquet_chunks(source, chunk_size)
    raise InputError(f"未知的输入格式 {source.format!r}")


def count_rows(source: Source) -> int:
    """Data rows of an input, read through once (to check a limit before any work)."""
    return sum(len(frame) for frame in read_chunks(source))


def read_table(path: str, encoding: str | None = None) -> pd.DataFrame:
    """A whole (small) labelled file as one DataFrame."""
    source = open_source(path, encoding)
    chunks = list(read_chunks(source))
    return pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame()


def _looks_like_text(values) -> bool:
    strings = [v for v in values if isinstance(v, str) and v.strip()]
    if len(strings) < max(1, len(values) // 2):
        return False
    with_cjk = sum(1 for v in strings if HAS_CJK.search(v))
    mean_len = sum(len(v) for v in strings) / len(strings)
    return with_cjk >= len(strings) / 2 and mean_len >= 6


def resolve_text_column(frame: pd.DataFrame, requested: str | None, source_name: str) -> str:
    """The column holding the ads: the one asked for, a conventional name, or the only text-like one."""
    columns = [str(c) for c in frame.columns]
    if len(columns) == 1 and not requested:
        return columns[0]
    found = find_column(frame, requested, TEXT_COLUMN_NAMES, source_name)
    if found:
        return found
    text_like = [c for c in columns if _looks_like_text(frame[c].head(200).tolist())]
    if len(text_like) == 1:
        return text_like[0]
    raise InputError(f"无法判断 {source_name} 的哪一列是广告内容；请用 --text-column 指定。"
                     f"现有的列：{', '.join(columns) if columns else '（无）'}")


DATE_COLUMN_NAMES = ("日期", "时间", "发布时间", "发送时间", "采集时间", "date", "time", "datetime")
SOURCE_COLUMN_NAMES = ("来源", "平台", "渠道", "网站", "source", "platform", "channel")
REGION_COLUMN_NAMES = ("地区", "区域", "城市", "区县", "所在地", "region", "city", "area")


def find_column(frame: pd.DataFrame, requested: str | None, names: tuple[str, ...], source_name: str) -> str | None:
    """An optional column: the one asked for (which must exist), else the first conventional name present."""
    columns = [str(c) for c in frame.columns]
    if requested:
        if requested not in columns:
            raise InputError(f"{source_name} 中没有列 {requested!r}；现有的列：{', '.join(columns)}")
        return requested
    lower = {c.lower().strip(): c for c in columns}
    return next((lower[n] for n in names if n in lower), None)


def output_format(path: str | None) -> str:
    if path is None or path == "-":
        return "csv"
    fmt = OUTPUT_FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise InputError(f"无法写入 {path}：输出文件名须以 .csv、.tsv、.xlsx、.jsonl 或 .parquet 结尾")
    return fmt


_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def writable_text(text: str) -> str:
    """Text any encoding can write: half characters (lone surrogates) become U+FFFD."""
    return LONE_SURROGATE.sub("\ufffd", text)


def safe_cell(value):
    """A cell a spreadsheet will not run: text that starts like a formula gets a leading ' (OWASP CSV injection);
    lists and objects (from JSONL) are written as JSON text."""
    if isinstance(value, (list, dict)):
        value = json.dumps(value, ensure_ascii=False)
    if isinstance(value, str):
        value = _ILLEGAL_XLSX.sub("", writable_text(value))
        if value.startswith(_FORMULA_START):
            return "'" + value
    return value


# What safe_cell changes in a text cell, searched for in a whole column joined by newlines: a half character,
# a control character, or a cell (a line) that starts like a formula.
_CARE = re.compile(r"[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f]|\n[=+\-@\t\r]")


def _safe_column(series: pd.Series) -> pd.Series:
    """``series.map(safe_cell)``, with safe_cell called only on the cells it could change: one search over the
    column joined by newlines finds them (a line inside a cell that starts like a formula only costs a call)."""
    if _is_number_column(series):
        return series
    values = series.tolist()
    if isinstance(series.dtype, pd.CategoricalDtype) or pd.api.types.infer_dtype(values, skipna=True) != "string":
        return series.map(safe_cell)  # lists, dicts or other objects (written as JSON), categories, no text at all
    texts = [v if isinstance(v, str) else "" for v in values]  # missing cells stay missing
    joined = "\n" + "\n".join(texts)
    starts = np.cumsum([1] + [len(t) + 1 for t in texts[:-1]])  # where each cell begins in joined
    cells = {int(np.searchsorted(starts, m.start() + (m.group(0)[0] == "\n"), side="right")) - 1
             for m in _CARE.finditer(joined)}
    if not cells:
        return series
    out = series.copy()
    for i in sorted(cells):
        out.iat[i] = safe_cell(values[i])
    return out


def _is_number_column(series: pd.Series) -> bool:
    """Numbers and booleans cannot start a formula; text and mixed columns can."""
    return pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)


def _empty(value) -> bool:
    return value is None or (isinstance(value, str) and value == "") or (isinstance(value, float) and value != value)


def _is_text(kind) -> bool:
    import pyarrow as pa

    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def _cell_kind(values: pd.Series):
    """The Parquet type of an object column from its filled cells: boolean, float, or text."""
    import pyarrow as pa

    filled = [v for v in values if not _empty(v)]
    if filled and all(isinstance(v, (bool, np.bool_)) for v in filled):
        return pa.bool_()
    if filled and all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))
                      for v in filled):
        return pa.float64()
    return pa.string()


def _as_parquet(value, kind):
    import pyarrow as pa

    if _empty(value):
        return None
    if _is_text(kind):
        return _parquet_text(value)
    if pa.types.is_boolean(kind):
        return bool(value) if isinstance(value, (bool, np.bool_)) else None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _parquet_text(value) -> str:
    """A filled cell of a text column: lists and objects become JSON, anything else text."""
    if isinstance(value, str):
        return writable_text(value)
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


XLSX_CELL_MAX = 32_767  # Excel's limit on the characters of a cell


def _xlsx_cell(value):
    """A cell Excel can hold: longer text is cut with a visible mark saying how much was cut."""
    if isinstance(value, str) and len(value) > XLSX_CELL_MAX:
        kept = XLSX_CELL_MAX - 40
        return value[:kept] + f"……[超出 Excel 单元格上限，截去 {len(value) - kept:,} 字]"
    return value


class TableWriter:
    """Streams rows to CSV/TSV/JSONL/XLSX. Use through ``atomic_table``."""

    def __init__(self, stream, fmt: str, inert_columns=()):
        self.fmt, self.stream, self.rows, self.columns = fmt, stream, 0, None
        # Columns the caller wrote itself and knows cannot start a formula: a CSV needs no check of them.
        self.inert_columns = frozenset(inert_columns)
        self._book = self._sheet = self._parquet = None

    def write(self, frame: pd.DataFrame) -> None:
        if self.columns is None:
            self.columns = [str(c) for c in frame.columns]
            self._start()
        if self.fmt in ("csv", "tsv"):
            checked = frame.copy(deep=False)
            for column in checked.columns:
                if column not in self.inert_columns:
                    checked[column] = _safe_column(checked[column])
            checked.to_csv(self.stream, index=False, header=False, sep="\t" if self.fmt == "tsv" else ",",
                           lineterminator="\n")
        elif self.fmt == "jsonl":
            for record in frame.to_dict(orient="records"):
                self.stream.write(writable_text(json.dumps(record, ensure_ascii=False, default=str)) + "\n")
        elif self.fmt == "parquet":
            self._write_parquet(frame)
        else:
            if self.rows + len(frame) > XLSX_MAX_ROWS:
                raise InputError(f"一个 Excel 工作表最多 {XLSX_MAX_ROWS:,} 行；这么大的文件请输出为 .csv 或 .jsonl")
            for row in frame.itertuples(index=False, name=None):
                self._sheet.append([_xlsx_cell(safe_cell(v)) for v in row])
        self.rows += len(frame)

    def _start(self):
        if self.fmt in ("csv", "tsv"):
            csv.writer(self.stream, delimiter="\t" if self.fmt == "tsv" else ",", lineterminator="\n").writerow(
                [safe_cell(c) for c in self.columns])
        elif self.fmt == "xlsx":
            import openpyxl

            self._book = openpyxl.Workbook(write_only=True)
            self._sheet = self._book.create_sheet("screened")
            self._sheet.append([safe_cell(c) for c in self.columns])

    def _write_parquet(self, frame: pd.DataFrame) -> None:
        """Every chunk in the first chunk's schema. A column of mixed cells (text, numbers and empty cells, as
        result columns and spreadsheets have) is numeric or boolean when all its filled cells are, else text."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self._parquet is None:
            fields = []
            for c in frame.columns:
                kind = _cell_kind(frame[c]) if frame[c].dtype == object else None
                fields.append(pa.field(str(c), kind) if kind is not None else
                              pa.Schema.from_pandas(frame[[c]], preserve_index=False).field(0))
            schema = pa.schema([pa.field(f.name, pa.string()) if pa.types.is_null(f.type) or _is_text(f.type) else f
                                for f in fields])
            self._parquet = pq.ParquetWriter(self.stream, schema)
        schema = self._parquet.schema
        columns = {}
        for field in schema:
            values = frame[field.name]
            columns[field.name] = ([_as_parquet(v, field.type) for v in values]
                                   if values.dtype == object or _is_text(field.type) else values.tolist())
        try:
            table = pa.Table.from_pydict(columns, schema=schema)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as e:
            raise InputError(f"输入的列在不同部分类型不一致，无法写成一个 Parquet 文件（{e}）；"
                             "请输出为 .csv 或 .jsonl") from None
        self._parquet.write_table(table)

    def discard(self) -> None:
        """Let go of a half-written file (the atomic writer removes it)."""
        if self._parquet is not None:
            try:
                self._parquet.close()
            except (OSError, ValueError):
                pass
            self._parquet = None

    def close(self):
        if self.fmt == "parquet":
            if self._parquet is None:
                import pyarrow as pa
                import pyarrow.parquet as pq

                self._parquet = pq.ParquetWriter(self.stream, pa.schema([pa.field(c, pa.string())
                                                                         for c in self.columns or []]))
            self._parquet.close()
        if self.fmt == "xlsx":
            if self._book is None:
                self.columns = self.columns or []
                self._start()
            self._book.save(self.stream)


def check_writable(path: str) -> None:
    """Fail before any work if the output cannot be written."""
    parent = Path(path).resolve().parent
    if not parent.is_dir():
        raise InputError(f"无法写入 {path}：文件夹 {parent} 不存在")
    if Path(path).is_dir():
        raise InputError(f"无法写入 {path}：这是一个文件夹")
    if not os.access(parent, os.W_OK):
        raise InputError(f"无法写入 {path}：没有 {parent} 的写入权限")


@contextmanager
def open_table_writer(path: str | None, fmt: str, stdout=None, inert_columns=()):
    """A TableWriter for path (written atomically) or for standard output."""
    if path is None or path == "-":
        writer = TableWriter(stdout or sys.stdout, fmt, inert_columns)
        yield writer
        writer.close()
        return
    # UTF-8 with BOM so that Excel shows the Chinese of a CSV correctly.
    if fmt in ("xlsx", "parquet"):
        mode, encoding = "wb", None
    else:
        mode, encoding = "w", "utf-8-sig" if fmt in ("csv", "tsv") else "utf-8"
    with atomic_file(path, mode, encoding=encoding) as (f, _):
        writer = TableWriter(f, fmt, inert_columns)
        try:
            yield writer
        except BaseException:
            writer.discard()
            raise
        writer.close()
