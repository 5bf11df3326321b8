"""Score Chinese ads for illegal-fundraising and elder-fraud risk."""
from __future__ import annotations

import json
import sys

import click

from features import ScreenerError
from features.paths import DEFAULT_DATA, default_models_dir
from features.scoring import open_screener, score_ads


def _notify(message: str) -> None:
    click.echo(message, err=True)


def _read_stdin_lines() -> list[str]:
    data = sys.stdin.buffer.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise click.ClickException(
            f"standard input is not valid UTF-8 (bad byte at position {e.start}); convert it to UTF-8, or screen "
            "the file with --input FILE, which detects GBK/GB18030") from None
    return text.splitlines()


def _human(result: dict, threshold: float) -> str:
    lines = [f"评分 {round(result['score'] * 100)}/100  风险等级: {result['level']}  "
             f"({'可疑' if result['flagged'] else '未达可疑阈值'}; 阈值 {round(threshold * 100)})"]
    if result["red_flags"]:
        lines.append("红旗信号:")
        for flag in result["red_flags"]:
            rate = f" (折合年化 {flag['annual_rate']:g}%)" if "annual_rate" in flag else ""
            lines.append(f"  - {flag['name']} [{flag['characteristic']}] “{flag['evidence']}”{rate}")
    else:
        lines.append("红旗信号: 无")
    if result["warning_context"]:
        lines.append("防范提示语境: " + "、".join(dict.fromkeys(result["warning_context"])))
    if result["top_terms"]:
        lines.append("影响最大的词: " + "  ".join(f"{t['term']}({t['weight']:+.2f})" for t in result["top_terms"]))
    for w in result.get("warnings", []):
        lines.append(f"注意: {w}")
    lines.append(f"模型: {result['model']}")
    return "\n".join(lines)


def _one_line(result: dict) -> str:
    if "error" in result:
        return f"error\t{result['error']}"
    flags = ",".join(dict.fromkeys(f["name"] for f in result["red_flags"])) or "-"
    return f"{round(result['score'] * 100)}\t{result['level']}\t{flags}"


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("ads", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per ad (with --input: JSONL on stdout).")
@click.option("--input", "input_path", metavar="FILE",
              help="Screen a whole file (CSV, TSV, XLSX, JSONL or text, '-' for stdin).")
@click.option("--text-column", metavar="COL", help="Column holding the ads (found automatically when clear).")
@click.option("--output", "-o", metavar="OUT", help="Write the screened file here (.csv/.tsv/.xlsx/.jsonl); "
              "default: CSV on stdout.")
@click.option("--encoding", help="Encoding of the input file (default: detect UTF-8 / GB18030).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Worker processes (default: all cores).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or summary.")
@click.option("--model", "model_version", metavar="VERSION", help="Model version to use (default: current).")
@click.option("--models-dir", type=click.Path(file_okay=False), default=None,
              help="Folder of saved models (default: models/, or $SCREENER_MODELS).")
def main(ads, as_json, input_path, text_column, output, encoding, jobs, quiet, model_version, models_dir):
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
    """
    models_dir = models_dir or default_models_dir()
    try:
        if input_path:
            if ads:
                raise click.UsageError("give either ADS or --input FILE, not both")
            from features.batch import screen_file

            screen_file(input_path, output, text_column=text_column, encoding=encoding, jobs=jobs, quiet=quiet,
                        models_dir=models_dir, version=model_version, data_path=DEFAULT_DATA, notify=_notify,
                        fmt="jsonl" if as_json else None)
            return
        if not ads:
            raise click.UsageError('give an ad to score, e.g. python predict.py "高息理财 保本保息", '
                                   "or '-' to read ads from standard input")
        from_stdin = ads == ("-",)
        texts = _read_stdin_lines() if from_stdin else list(ads)
        screener = open_screener(models_dir, model_version, DEFAULT_DATA, notify=_notify)
        results = score_ads(screener, texts)
        if not from_stdin:
            for result in results:
                if "error" in result:
                    raise ScreenerError(f"{result['error']}: give the text of an ad, e.g. "
                                        'python predict.py "保本保息 年化18%"')
        for result in results:
            if as_json:
                click.echo(json.dumps(result, ensure_ascii=False))
            elif from_stdin or len(results) > 1:
                click.echo(_one_line(result))
            else:
                click.echo(_human(result, screener.threshold))
    except ScreenerError as e:
        raise click.ClickException(str(e)) from None


if __name__ == "__main__":
    main()
