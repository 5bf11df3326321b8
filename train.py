"""Train, evaluate and manage the screening models."""
from __future__ import annotations

import json
from pathlib import Path

import click

from screener.cli import (CONTEXT, ScreenerClickException, ScreenerGroup, encoding_option, model_option, models_dir_option, notify,
                          text_column_option)
from screener.config import DEFAULT_CASES, DEFAULT_DATA, DEFAULT_PENDING, FALSE_ALARM_BUDGET, THRESHOLD_FLOOR
from screener.retrain.promotion import ADAPT_F1_TOLERANCE, CASE_WEIGHT, F1_TOLERANCE, ROC_AUC_TOLERANCE
from screener.retrain.review import DEFAULT_BUDGET, DEFAULT_OUTPUT
from screener.store import DEFAULT_VERSION, ModelStore

data_option = click.option("--data", type=click.Path(dir_okay=False), default=str(DEFAULT_DATA), show_default=True,
                           help="Labelled corpus CSV with text, label and split columns.")
cases_option = click.option("--cases", "cases_path", type=click.Path(dir_okay=False), default=str(DEFAULT_CASES),
                            show_default=True, help="Where accepted cases are kept.")


def _format_metrics(name: str, m: dict | None) -> str:
    if not m:
        return f"{name}: (none)"
    fields = ["n", "precision", "recall", "f1", "roc_auc", "pr_auc", "threshold"]
    return name + ": " + " ".join(f"{k}={m[k]}" for k in fields if k in m)


def _report_promotion(result: dict, refused: str) -> None:
    """The side-by-side table, then promoted (exit 0) or refused (exit 1 with the reason)."""
    from screener.retrain.promotion import comparison_table

    click.echo(comparison_table(result["comparison"]))
    if not result["promoted"]:
        raise ScreenerClickException(refused)
    forced = "（强制：它比当前模型差）" if result["forced"] else ""
    click.echo(f"已将 {result['version']} 设为当前模型{forced}")


@click.group(cls=ScreenerGroup, context_settings=CONTEXT)
def cli():
    """Train and manage the ad-screening models.

    \b
    Example:
      python train.py fit
      python train.py evaluate ../shared/data/real/fbs_dev.csv --json
    """


@cli.command(help=f"""Train on the corpus's train split, report test metrics, save and make current.

    The threshold is chosen on 5-fold cross-validated predictions of the
    training split's texts and of an export copy of each (numbers as 8 or
    deleted, punctuation dropped, as real streams arrive): the score above
    which {FALSE_ALARM_BUDGET:.1%} of the normal ads fall, never below {THRESHOLD_FLOOR}.

    \b
    Example:
      python train.py fit --data data/ads.csv --version default
    """)
@data_option
@click.option("--version", "version", default=DEFAULT_VERSION, show_default=True,
              help="Name of the model version to write (replaced if it exists).")
@click.option("--tokenizer", type=click.Choice(["rjieba", "jieba"]), default=None,
              help="Word tokenizer (default: rjieba, jieba's algorithm and dictionary in Rust).")
@models_dir_option
def fit(data, version, tokenizer, models_dir):
    from screener.training import fit_corpus

    store = ModelStore(models_dir)
    meta = fit_corpus(data, store, version, params={"tokenizer": tokenizer} if tokenizer else {}, notify=notify)
    click.echo(_format_metrics("test", meta["metrics"]["test"]))
    click.echo(_format_metrics("cross-validation", meta["metrics"]["cross_validation"]))
    click.echo(f"已保存 {store.path(version)}（当前模型：{store.current()}）")


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@text_column_option
@click.option("--label-column", default="label", show_default=True, help="Column holding 1/0 labels.")
@encoding_option
@model_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@models_dir_option
def evaluate(file, text_column, label_column, encoding, model_version, as_json, models_dir):
    """Metrics of a model on any labelled CSV/TSV/XLSX/JSONL file.

    \b
    Example:
      python train.py evaluate cases.xlsx --text-column 内容 --label-column 标签 --json
    """
    from screener.builtin import ensure_builtin_model
    from screener.scoring import load_scorer
    from screener.training import evaluate_file

    ensure_builtin_model(models_dir, DEFAULT_DATA, model_version, notify=notify)
    m = evaluate_file(load_scorer(models_dir, model_version), file, text_column, label_column, encoding)
    if as_json:
        click.echo(json.dumps(m, ensure_ascii=False))
    else:
        click.echo(_format_metrics(file, m) + f" flagged_share={m['flagged_share']} model={m['model']}")


@cli.command(help=f"""Add labelled cases, train a candidate, compare it with the current model, promote it or not.

    CASES_FILE is CSV/XLSX/JSONL with columns text and label (1/0, 是/否, 可疑/正常,
    risk/normal, suspicious/normal), optionally category, who, when, source. Every row is
    checked first; any bad row stops the command with nothing changed. One case in five
    (by a hash of its text) goes to the test side. The candidate is promoted when its F1 on
    the same test data is at least the current's minus {F1_TOLERANCE} and its ROC-AUC at least the
    current's minus {ROC_AUC_TOLERANCE}.

    \b
    Example:
      python train.py add confirmed_2026_11.xlsx
    """)
@click.argument("cases_file", type=click.Path(dir_okay=False))
@cases_option
@data_option
@click.option("--prefer-new", is_flag=True, help="Where a text is already labelled the other way, take the new label.")
@click.option("--force", is_flag=True, help="Promote the candidate even if it does worse than the current model.")
@click.option("--case-weight", type=click.FloatRange(min=0, min_open=True), default=CASE_WEIGHT, show_default=True,
              help="How many authored texts one case counts for in training.")
@encoding_option
@models_dir_option
def add(cases_file, cases_path, data, prefer_new, force, case_weight, encoding, models_dir):
    from screener.retrain.promotion import add_cases

    result = add_cases(cases_file, corpus_path=Path(data), cases_path=Path(cases_path), store=ModelStore(models_dir),
                       prefer_new=prefer_new, force=force, encoding=encoding, case_weight=case_weight, notify=notify)
    if not result["added"]:
        click.echo(f"没有新案例可添加：{result['duplicates']} 条已存在")
        return
    click.echo(f"接受 {result['added']} 条案例，跳过重复 {result['duplicates']} 条，"
               f"改标 {result['overridden']} 条")
    _report_promotion(result, f"候选模型比当前模型差，超出容差（F1 或 ROC-AUC 下降超过 {F1_TOLERANCE}）；"
                              "未做任何改动。请检查新标签，或用 --force 强制启用")
    click.echo(f"案例已保存到 {cases_path}")


@cli.command(help=f"""Adapt to your own stream: train a new version with unlabelled listings as background.

    LISTINGS_FILE is any file batch screening reads (CSV/TSV/XLSX/JSONL/text, GBK or
    UTF-8), typically the export you screen every week. Its texts count as normal with
    a small weight; in a few rounds the ones the model scores highest are set aside, and
    written, likeliest first, to set_aside.csv in the new model's folder: leads to check,
    in the format `train.py add` reads once you fill in the label column. The listings
    are not copied into data/. The adapted model is promoted when its F1 is at least the
    current's minus {ADAPT_F1_TOLERANCE} and its ROC-AUC at least the current's minus {ROC_AUC_TOLERANCE}.

    \b
    Example:
      python train.py adapt weekly_export.xlsx --text-column 内容
    """)
@click.argument("listings_file", type=click.Path(dir_okay=False, allow_dash=True))
@text_column_option
@encoding_option
@cases_option
@data_option
@click.option("--force", is_flag=True, help="Promote the adapted model even if it does worse on the test data.")
@models_dir_option
def adapt(listings_file, text_column, encoding, cases_path, data, force, models_dir):
    from screener.retrain.promotion import adapt_to_listings

    result = adapt_to_listings(listings_file, corpus_path=Path(data), cases_path=Path(cases_path),
                               store=ModelStore(models_dir), text_column=text_column, encoding=encoding, force=force,
                               notify=notify)
    bg = result["background"]
    click.echo(f"背景数据：{bg['file']}（读入 {bg['rows_read']:,} 行，使用 {bg['rows_used']:,} 行，"
               f"{len(bg['rounds'])} 轮共留出 {bg['set_aside']} 条）")
    _report_promotion(result, f"适配模型比当前模型差，超出容差（F1 下降超过 {ADAPT_F1_TOLERANCE} 或 ROC-AUC "
                              f"下降超过 {ROC_AUC_TOLERANCE}）；未做任何改动。请确认文件是本地的广告数据，"
                              "或用 --force 强制启用")
    click.echo(f"待核查线索（留出的文本，可能性高的在前）：{result['set_aside_file']}")
    for _, lead in result["leads"].head(5).iterrows():
        click.echo(f"  {round(lead['score'] * 100):>3}  {lead['text'][:60]}")


@cli.command(help="""Choose the ads of your stream that inspectors should label first.

    LISTINGS_FILE is any file batch screening reads (CSV/TSV/XLSX/JSONL/text, GBK or UTF-8),
    typically the export you screen every week. The queue mixes likely leads, ads the model
    is unsure about, and ads with red flags it scores low (a kind it may not know); near-identical
    ads are asked once, and texts already labelled (corpus, cases, pending verdicts) never. FILE
    (format by extension) is in the format `train.py add` reads: fill in the label column
    (1 可疑 / 0 正常; leave empty rows out) and run `python train.py add FILE`.

    \b
    Example:
      python train.py review weekly_export.xlsx --budget 100 --output review_queue.xlsx
    """)
@click.argument("listings_file", type=click.Path(dir_okay=False, allow_dash=True))
@text_column_option
@encoding_option
@click.option("--budget", type=click.IntRange(min=1), default=DEFAULT_BUDGET, show_default=True,
              help="How many ads to ask about.")
@click.option("--output", "output", type=click.Path(dir_okay=False), default=DEFAULT_OUTPUT, show_default=True,
              help="Where to write the queue (.xlsx, .csv, .tsv or .jsonl).")
@cases_option
@click.option("--pending", "pending_path", type=click.Path(dir_okay=False), default=str(DEFAULT_PENDING),
              show_default=True, help="Verdicts recorded on the web page, not yet added (also left out).")
@data_option
@model_option
@models_dir_option
def review(listings_file, text_column, encoding, budget, output, cases_path, pending_path, data, model_version,
           models_dir):
    from screener.retrain.promotion import review_stream
    from screener.tables import check_writable, open_table_writer, output_format

    fmt = output_format(output)
    check_writable(output)
    queue = review_stream(listings_file, corpus_path=Path(data), cases_path=Path(cases_path),
                          pending_path=Path(pending_path), store=ModelStore(models_dir), text_column=text_column,
                          encoding=encoding, budget=budget, model_version=model_version, notify=notify)
    with open_table_writer(output, fmt) as writer:
        writer.write(queue.table)
    stream = queue.stream
    for w in stream.warnings:
        notify(f"注意：{w}")
    sampled = f"（抽样 {len(stream.texts):,} 条）" if stream.sampled else ""
    click.echo(f"{stream.file}：读入 {stream.rows_read:,} 行，已标注 {stream.rows_known:,} 行，"
               f"未标注的近似重复组 {queue.groups - queue.excluded_groups:,} 个{sampled}")
    counts = queue.table["reason"].value_counts()
    click.echo(f"复核队列 {len(queue.table)} 条：" + "，".join(f"{r} {n}" for r, n in counts.items()))
    click.echo(f"已写入 {output}；在 label 列填 1（可疑）或 0（正常），删去未判断的行，然后运行 "
               f"`python train.py add {output}`")


@cli.command(name="models")
@models_dir_option
def list_models(models_dir):
    """List model versions with their metrics; * marks the current one.

    \b
    Example:
      python train.py models
    """
    store = ModelStore(models_dir)
    rows = store.describe()
    if not rows:
        click.echo(f"{store.root} 中没有模型；请用 `python train.py fit` 训练一个")
        return
    click.echo("  版本\t创建时间\t类型\t测试F1\t测试ROC-AUC\t阈值\t适配数据")
    for r in rows:
        click.echo(f"{'*' if r['current'] else ' '} {r['version']}\t{r['created_at']}\t{r['kind']}\t{r['test_f1']}\t"
                   f"{r['test_roc_auc']}\t{r['threshold']}\t{r['adapted_to']}")


@cli.command()
@click.argument("version", required=False)
@models_dir_option
def rollback(version, models_dir):
    """Make an earlier model version current (default: the one before the current).

    \b
    Example:
      python train.py rollback v2
    """
    new, old = ModelStore(models_dir).rollback(version)
    click.echo(f"当前模型：{new}（原为 {old}）")


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, exists=True))
@models_dir_option
def trust(directory, models_dir):
    """Accept a model folder made elsewhere, after checking its file matches its metadata.

    \b
    Example:
      cp -r /mnt/usb/v7 models/v7 && python train.py trust models/v7
    """
    from screener.store import trust_model_dir

    digest = trust_model_dir(ModelStore(models_dir), Path(directory))
    click.echo(f"已信任 {directory}（sha256 {digest[:16]}...）")


if __name__ == "__main__":
    cli()
