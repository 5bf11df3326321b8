"""A local web page for inspectors: paste an ad, screen a spreadsheet, record verdicts."""
from __future__ import annotations

import ipaddress
import sys

import click

from screener.cli import CONTEXT, ScreenerCommand, model_option, models_dir_option, notify
from screener.config import CASE_WEIGHT, DEFAULT_DATA, DEFAULT_PENDING


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command(cls=ScreenerCommand, context_settings=CONTEXT)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port.")
@click.option("--allow-remote", is_flag=True, help="Allow listening on an address other machines can reach.")
@click.option("--allowed-host", "allowed_hosts", multiple=True, metavar="NAME",
              help="A host name the page is reached by, besides the address it listens on (repeatable).")
@click.option("--cases", "pending", type=click.Path(dir_okay=False), default=str(DEFAULT_PENDING),
              show_default=True, help="Where the page records verdicts (the file `train.py add` reads).")
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes for uploaded files.")
@click.option("--case-weight", type=click.FloatRange(min=0, min_open=True), default=CASE_WEIGHT, show_default=True,
              help="How much each verdict recorded on the page counts in retraining, against one text of the corpus.")
@model_option
@models_dir_option
def main(host, port, allow_remote, allowed_hosts, pending, jobs, case_weight, model_version, models_dir):
    """Serve the screening page on this machine (http://127.0.0.1:8000 by default).

    \b
    Example:
      python serve.py --port 8000
      curl -s localhost:8000/api/score -H 'Content-Type: application/json' -d '{"texts": ["保本保息 年化18%"]}'
    """
    import uvicorn

    from screener.builtin import ensure_builtin_model
    from screener.scoring import load_scorer
    from screener.web.app import create_app

    if not _is_loopback(host):
        if not allow_remote:
            raise click.UsageError(f"--host {host} 会让其他机器访问本页面及其数据；"
                                   "如确需如此，请加上 --allow-remote")
        notify(f"注意：正在监听 {host}：能访问本机的任何人都能使用本页面并读取上传文件的结果")
    ensure_builtin_model(models_dir, DEFAULT_DATA, model_version, notify=notify)
    scorer = load_scorer(models_dir, model_version)
    # Only the names the page is reached by: a foreign name in Host is a DNS-rebinding attempt.
    names = [host, *allowed_hosts] + (["127.0.0.1", "localhost", "::1"] if _is_loopback(host) else [])
    wildcard = host in ("0.0.0.0", "::") and not allowed_hosts
    if wildcard:
        notify("注意：监听所有地址且未给出 --allowed-host：任何主机名都会被应答")
    app = create_app(scorer, models_dir, pending_path=pending, jobs=jobs, allowed_hosts=None if wildcard else names,
                     case_weight=case_weight)
    notify(f"筛查页面：http://{host}:{port}（模型 {scorer.version}；按 Ctrl-C 停止）")
    uvicorn.run(app, host=host, port=port, log_level="warning")


if __name__ == "__main__":
    sys.exit(main())
