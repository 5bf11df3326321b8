"""Score Chinese ads for illegal-fundraising and elder-fraud risk."""
from __future__ import annotations

import json
import os
import sys

import click

from screener.cli import (CONTEXT, ScreenerCommand, encoding_option, model_option, models_dir_option, notify,
                          text_column_option)
from screener.config import DEFAULT_DATA
from screener.errors import InputError


def _read_stdin_lines() -> list[str]:
    data = sys.stdin.buffer.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(
            f"标准输入不是有效的 UTF-8（第 {e.start} 字节有错误）；请转为 UTF-8，或用 --input 文件 筛查，"
            "它能自动识别 GBK/GB18030") from None
    return text.splitlines()


@click.command(cls=ScreenerCommand, context_settings=CONTEXT)
@click.argument("ads", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per ad (with --input: JSONL on stdout).")
@click.option("--image", "image_path", type=click.Path(dir_okay=False), metavar="PHOTO",
              help="Read the ad off a photo (JPEG, PNG, WebP...) and score it; needs pip install -e \".[ocr]\".")
@click.option("--input", "input_path", metavar="FILE",
              help="Screen a whole file (CSV, TSV, XLSX, JSONL or text, '-' for stdin).")
@text_column_option
@click.option("--output", "-o", metavar="OUT", help="Write the screened file here (.csv/.tsv/.xlsx/.jsonl); "
              "default: CSV on stdout.")
@encoding_option
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Worker processes (default: all cores).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or summary.")
@click.option("--ledger", metavar="LEDGER.xlsx",
              help="With --input: also write the risk ledger (风险台账), one row per campaign, as an Excel workbook.")
@click.option("--date-column", metavar="COL", help="Column with the date of each ad, for the ledger (default: found "
              "by name, e.g. 日期).")
@click.option("--source-column", metavar="COL", help="Column with the source of each ad (default: found by name, "
              "e.g. 来源).")
@click.option("--region-column", metavar="COL", help="Column with the area of each ad (default: found by name, "
              "e.g. 地区).")
@click.option("--scheduler", metavar="ADDRESS",
              help="Screen on a Dask cluster: tcp://HOST:8786, or local[:N] for N local worker processes. "
                   "--input may then be a glob of .parquet/.csv/.tsv/.jsonl files (quote it).")
@click.option("--explain", type=click.Choice(["flagged", "all"]), default="flagged", show_default=True,
              help="With --input: find the most influential terms (top_terms) for flagged rows only, or for all.")
@click.option("--force", is_flag=True, help="Allow --output (or --ledger) to be the --input file itself, replacing it.")
@click.option("--threshold", type=click.FloatRange(0, 1), default=None,
              help="Judge against this threshold (0-1) for this run instead of the model's own.")
@model_option
@models_dir_option
def main(ads, as_json, image_path, input_path, text_column, output, encoding, jobs, quiet, ledger, date_column,
         source_column, region_column, scheduler, explain, force, threshold, model_version, models_dir):
    """Score ads for illegal-fundraising / elder-fraud risk (0-100, level 高/中/低) and say why.

    ADS are ad texts; '-' reads standard input, one ad per line, and prints one
    result per line in the same order. Levels: 高 from max(80, threshold),
    中 from the model's threshold, 低 below it; "flagged" means 中 or 高.

    \b
    Examples:
      python predict.py "养老公寓床位认购，年化收益18%，到期回购，保本保息"
      python predict.py --json "退休老师建群免费荐股，人满即封"
      cat ads.txt | python predict.py --json - > scores.jsonl
      python predict.py --input listings.xlsx --output screened.xlsx
      python predict.py --input export.csv -o screened.csv --ledger 风险台账.xlsx
      python predict.py --input 'scraped/*.parquet' -o screened.parquet --scheduler local:2
      python predict.py --image flyer.jpg
      python predict.py --input 'photos/*.jpg' -o screened.csv
    """
    from screener.report import human, one_line
    from screener.scoring import Failure, load_scorer
    from screener.builtin import ensure_builtin_model

    if sum(map(bool, (ads, input_path, image_path))) > 1:
        raise click.UsageError("请只给出广告文本、--image 图片或 --input 文件之一")
    if ledger and not input_path:
        raise click.UsageError("--ledger 需要与 --input 一起使用：风险台账由整批文件的筛查结果生成")
    if not input_path and not ads and not image_path:
        raise click.UsageError('请给出要评分的广告，例如 python predict.py "高息理财 保本保息"，'
                               "或用 '-' 从标准输入读取")
    if input_path and input_path != "-" and not force:
        import glob

        inputs = glob.glob(input_path) if glob.has_magic(input_path) else [input_path]
        for option, path in (("--output", output), ("--ledger", ledger)):
            if path and path != "-" and os.path.exists(path) and any(
                    os.path.exists(i) and os.path.samefile(path, i) for i in inputs):
                raise click.UsageError(f"{option} 与 --input 是同一个文件（{path}）：写入会覆盖原始数据。"
                                       "请换一个文件名；确要覆盖请加 --force")
    if scheduler and not input_path:
        raise click.UsageError("--scheduler 需要与 --input 一起使用")
    ensure_builtin_model(models_dir, DEFAULT_DATA, model_version, notify=notify)
    if image_path:
        return _score_image(image_path, as_json, models_dir, model_version, threshold)
    photos = None
    if input_path and not scheduler and input_path != "-":
        from screener.ocr import photo_paths

        photos = photo_paths(input_path)
    if photos:
        from screener.ocr import screen_photos

        screen_photos(photos, output, scorer=load_scorer(models_dir, model_version, threshold), models_dir=models_dir,
                      jobs=jobs, fmt="jsonl" if as_json else None, notify=None if quiet else notify)
        return
    if scheduler:
        from screener.distributed import screen_on_cluster

        screen_on_cluster(input_path, output, scheduler, models_dir=models_dir, text_column=text_column,
                          encoding=encoding, version=model_version, threshold=threshold, ledger=ledger,
                          date_column=date_column, source_column=source_column, region_column=region_column,
                          notify=None if quiet else notify, explain=explain)
        return
    if input_path:
        from screener.batch import screen_file

        screen_file(input_path, output, text_column=text_column, encoding=encoding, jobs=jobs, quiet=quiet,
                    models_dir=models_dir, version=model_version, threshold=threshold, notify=notify,
                    fmt="jsonl" if as_json else None, ledger=ledger, date_column=date_column,
                    source_column=source_column, region_column=region_column, explain=explain)
        return
    from_stdin = ads == ("-",)
    texts = _read_stdin_lines() if from_stdin else list(ads)
    results = load_scorer(models_dir, model_version, threshold).score_ads(texts)
    if not from_stdin:
        for result in results:
            if isinstance(result, Failure):
                raise InputError(f"{result.error}：请给出广告文本，例如 "
                                 'python predict.py "保本保息 年化18%"')
    for result in results:
        if as_json:
            click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
        elif from_stdin or len(results) > 1:
            click.echo(one_line(result))
        else:
            click.echo(human(result))


def _score_image(path: str, as_json: bool, models_dir, model_version, threshold) -> None:
    from screener.ocr import score_photo
    from screener.report import human
    from screener.scoring import Failure, load_scorer

    if not os.path.isfile(path):
        raise InputError(f"找不到图片：{path}")
    with open(path, "rb") as f:
        data = f.read()
    scored = score_photo(load_scorer(models_dir, model_version, threshold), data, os.path.basename(path))
    if as_json:
        click.echo(json.dumps(scored.to_dict(), ensure_ascii=False))
        return
    photo = scored.photo
    click.echo(f"图片中读出的文字（识别置信度 {photo.confidence:.2f}）：\n{photo.text}\n")
    if isinstance(scored.result, Failure):
        raise InputError(scored.result.error)
    click.echo(human(scored.result))
    if scored.result.red_flags:
        click.echo("证据在图中的位置（像素 x0,y0,x1,y1）：")
        for flag in scored.result.red_flags:
            boxes = "; ".join(",".join(map(str, b)) for b in photo.boxes(flag.start, flag.end))
            click.echo(f"  - {flag.name} “{flag.evidence}”：{boxes}")


if __name__ == "__main__":
    main()
