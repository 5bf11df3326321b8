"""Train, evaluate and manage the screening models."""
from __future__ import annotations

import json

import click

from features import ScreenerError
from features.paths import DEFAULT_CASES, DEFAULT_DATA, default_models_dir
from features.store import DEFAULT_VERSION, ModelStore, trust_model_dir
from features.training import fit_corpus


def _notify(message: str) -> None:
    click.echo(message, err=True)


def _store(models_dir) -> ModelStore:
    return ModelStore(models_dir or default_models_dir())


models_dir_option = click.option("--models-dir", type=click.Path(file_okay=False), default=None,
                                  help="Folder of saved models (default: models/, or $SCREENER_MODELS).")


class ScreenerGroup(click.Group):
    """Turns the library's errors into a message on stderr and exit code 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ScreenerError as e:
            raise click.ClickException(str(e)) from None


def _format_metrics(name: str, m: dict | None) -> str:
    if not m:
        return f"{name}: (none)"
    fields = ["n", "precision", "recall", "f1", "roc_auc", "pr_auc", "threshold"]
    return name + ": " + " ".join(f"{k}={m[k]}" for k in fields if k in m)


@click.group(cls=ScreenerGroup, context_settings={"help_option_names": ["-h", "--help"]})
def cli():
    """Train and manage the ad-screening models.

    \b
    Example:
      python train.py fit
      python train.py evaluate ../shared/data/real/fbs_dev.csv --json
    """


@cli.command()
@click.option("--data", type=click.Path(dir_okay=False), default=str(DEFAULT_DATA), show_default=True,
              help="Labelled corpus CSV with text, label and split columns.")
@click.option("--version", "version", default=DEFAULT_VERSION, show_default=True,
              help="Name of the model version to write (replaced if it exists).")
@click.option("--tokenizer", type=click.Choice(["rjieba", "jieba"]), default=None,
              help="Word tokenizer (default: rjieba, jieba's algorithm and dictionary in Rust).")
@models_dir_option
def fit(data, version, tokenizer, models_dir):
    """Train on the corpus's train split, report test metrics, save and make current.

    The threshold is the score that maximises F1 on 5-fold cross-validated
    predictions of the training split, never below 0.5.

    \b
    Example:
      python train.py fit --data data/ads.csv --version default
    """
    params = {"tokenizer": tokenizer} if tokenizer else {}
    store = _store(models_dir)
    meta = fit_corpus(data, store, version, params=params, notify=_notify)
    click.echo(_format_metrics("test", meta["metrics"]["test"]))
    click.echo(_format_metrics("cross-validation", meta["metrics"]["cross_validation"]))
    click.echo(f"saved {store.path(version)} (current: {store.current()})")


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--text-column", default=None, help="Column holding the ads (found automatically when clear).")
@click.option("--label-column", default="label", show_default=True, help="Column holding 1/0 labels.")
@click.option("--encoding", default=None, help="Encoding of FILE (default: detect UTF-8 / GB18030).")
@click.option("--model", "version", default=None, help="Model version (default: current).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@models_dir_option
def evaluate(file, text_column, label_column, encoding, version, as_json, models_dir):
    """Metrics of a model on any labelled CSV/TSV/XLSX/JSONL file.

    \b
    Example:
      python train.py evaluate cases.xlsx --text-column 内容 --label-column 标签 --json
    """
    from features.scoring import check_text, open_screener
    from features.training import load_labelled, metrics

    df = load_labelled(file, text_column, label_column, encoding)
    usable = df[df["text"].str.strip() != ""]
    screener = open_screener(models_dir or default_models_dir(), version, DEFAULT_DATA, notify=_notify)
    scores = screener.scores([check_text(t)[0] for t in usable["text"]])
    m = metrics(usable["label"], scores, screener.threshold)
    m["skipped_empty"] = int(len(df) - len(usable))
    m["model"] = screener.version
    if as_json:
        click.echo(json.dumps(m, ensure_ascii=False))
    else:
        click.echo(_format_metrics(file, m) + f" flagged_share={m['flagged_share']} model={m['model']}")


def _report_promotion(result: dict, refused: str) -> None:
    """The side-by-side table, then promoted (exit 0) or refused (exit 1 with the reason)."""
    from features.retrain import comparison_table

    click.echo(comparison_table(result["comparison"]))
    if not result["promoted"]:
        raise click.ClickException(refused)
    forced = " (forced: it does worse than the current model)" if result["forced"] else ""
    click.echo(f"promoted {result['version']} to current{forced}")


@cli.command()
@click.argument("cases_file", type=click.Path(dir_okay=False))
@click.option("--cases", "cases_path", type=click.Path(dir_okay=False), default=str(DEFAULT_CASES),
              show_default=True, help="Where accepted cases are kept.")
@click.option("--data", type=click.Path(dir_okay=False), default=str(DEFAULT_DATA), show_default=True,
              help="The corpus the candidate trains on with the cases.")
@click.option("--prefer-new", is_flag=True, help="Where a text is already labelled the other way, take the new label.")
@click.option("--force", is_flag=True, help="Promote the candidate even if it does worse than the current model.")
@click.option("--encoding", default=None, help="Encoding of CASES_FILE (default: detect UTF-8 / GB18030).")
@models_dir_option
def add(cases_file, cases_path, data, prefer_new, force, encoding, models_dir):
    """Add labelled cases, train a candidate, compare it with the current model, promote it or not.

    CASES_FILE is CSV/XLSX/JSONL with columns text and label (1/0, 是/否, 可疑/正常,
    risk/normal, suspicious/normal), optionally category, who, when, source. Every row is
    checked first; any bad row stops the command with nothing changed. One case in five
    (by a hash of its text) goes to the test side. The candidate is promoted when its F1 on
    the same test data is at least the current's minus 0.01 and its ROC-AUC at least the
    current's minus 0.01.

    \b
    Example:
      python train.py add confirmed_2026_11.xlsx
    """
    from pathlib import Path

    from features.retrain import add_cases

    store = _store(models_dir)
    result = add_cases(cases_file, corpus_path=Path(data), cases_path=Path(cases_path), store=store,
                       prefer_new=prefer_new, force=force, encoding=encoding, notify=_notify)
    if not result["added"]:
        click.echo(f"nothing new to add: {result['duplicates']} case(s) were already known")
        return
    click.echo(f"accepted {result['added']} case(s), skipped {result['duplicates']} duplicate(s), "
               f"relabelled {result['overridden']}")
    _report_promotion(result, "the candidate does worse than the current model beyond the tolerance (F1 or ROC-AUC "
                              "down by more than 0.01); nothing was changed. Check the new labels, or promote it "
                              "anyway with --force")
    click.echo(f"cases saved to {cases_path}")


@cli.command()
@click.argument("listings_file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--text-column", default=None, help="Column holding the ads (found automatically when clear).")
@click.option("--encoding", default=None, help="Encoding of LISTINGS_FILE (default: detect UTF-8 / GB18030).")
@click.option("--cases", "cases_path", type=click.Path(dir_okay=False), default=str(DEFAULT_CASES),
              show_default=True, help="Labelled cases to train on with the corpus.")
@click.option("--data", type=click.Path(dir_okay=False), default=str(DEFAULT_DATA), show_default=True,
              help="The corpus.")
@click.option("--force", is_flag=True, help="Promote the adapted model even if it does worse on the test data.")
@models_dir_option
def adapt(listings_file, text_column, encoding, cases_path, data, force, models_dir):
    """Adapt to your own stream: train a new version with unlabelled listings as background.

    LISTINGS_FILE is any file batch screening reads (CSV/TSV/XLSX/JSONL/text, GBK or
    UTF-8), typically the export you screen every week. Its texts count as normal with
    weight 0.5; in up to 3 rounds the 2% the model scores highest are set aside, and
    written, likeliest first, to set_aside.csv in the new model's folder: leads to check,
    in the format `train.py add` reads once you fill in the label column. Files over
    20,000 distinct texts are sampled down. The listings are not copied into data/.

    \b
    Example:
      python train.py adapt weekly_export.xlsx --text-column 内容
    """
    from pathlib import Path

    from features.retrain import adapt_to_listings

    store = _store(models_dir)
    result = adapt_to_listings(listings_file, corpus_path=Path(data), cases_path=Path(cases_path), store=store,
                               text_column=text_column, encoding=encoding, force=force, notify=_notify)
    bg = result["background"]
    click.echo(f"background: {bg['file']} ({bg['rows_read']:,} rows read, {bg['rows_used']:,} used, "
               f"{bg['set_aside']} set aside in {len(bg['rounds'])} round(s))")
    _report_promotion(result, "the adapted model does worse than the current one beyond the tolerance (F1 down by "
                              "more than 0.02 or ROC-AUC by more than 0.01); nothing was changed. Check that the "
                              "file is your own stream of ads, or promote it with --force")
    click.echo(f"leads to check (set aside, likeliest first): {result['set_aside_file']}")
    for _, lead in result["leads"].head(5).iterrows():
        click.echo(f"  {round(lead['score'] * 100):>3}  {lead['text'][:60]}")


@cli.command(name="models")
@models_dir_option
def list_models(models_dir):
    """List model versions with their metrics; * marks the current one.

    \b
    Example:
      python train.py models
    """
    store = _store(models_dir)
    versions = store.versions()
    if not versions:
        click.echo(f"no models in {store.root}; build one with `python train.py fit`")
        return
    current = store.current()
    click.echo("  version\tcreated\tkind\ttest_f1\ttest_roc_auc\tthreshold\tadapted_to")
    for v in versions:
        meta = store.read_metadata(v)
        test = (meta.get("metrics") or {}).get("test") or {}
        background = (meta.get("background") or {}).get("file", "-")
        click.echo(f"{'*' if v == current else ' '} {v}\t{meta.get('created_at', '?')}\t{meta.get('kind', '?')}\t"
                   f"{test.get('f1', '-')}\t{test.get('roc_auc', '-')}\t{meta.get('threshold', '-')}\t{background}")


@cli.command()
@click.argument("version", required=False)
@models_dir_option
def rollback(version, models_dir):
    """Make an earlier model version current (default: the one before the current).

    \b
    Example:
      python train.py rollback v2
    """
    store = _store(models_dir)
    versions = store.versions()
    current = store.current()
    if version is None:
        if current not in versions or versions.index(current) == 0:
            raise click.ClickException("there is no earlier version to roll back to; see `python train.py models`")
        version = versions[versions.index(current) - 1]
    store.load(version)  # refuse a version that would not load
    store.set_current(version)
    click.echo(f"current model: {version} (was {current})")


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, exists=True))
@models_dir_option
def trust(directory, models_dir):
    """Accept a model folder made elsewhere, after checking its file matches its metadata.

    \b
    Example:
      cp -r /mnt/usb/v7 models/v7 && python train.py trust models/v7
    """
    from pathlib import Path

    digest = trust_model_dir(_store(models_dir), Path(directory))
    click.echo(f"trusted {directory} (sha256 {digest[:16]}...)")




if __name__ == "__main__":
    cli()
