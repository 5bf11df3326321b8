"""A local web page for inspectors: paste an ad, screen a spreadsheet, record verdicts."""
from __future__ import annotations

import ipaddress
import sys

import click

from features import ScreenerError
from features.paths import DEFAULT_DATA, ROOT, default_models_dir
from features.scoring import open_screener

DEFAULT_PENDING = ROOT / "data" / "new_cases.csv"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port.")
@click.option("--allow-remote", is_flag=True, help="Allow listening on an address other machines can reach.")
@click.option("--cases", "pending", type=click.Path(dir_okay=False), default=str(DEFAULT_PENDING),
              show_default=True, help="Where the page records verdicts (the file `train.py add` reads).")
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes for uploaded files.")
@click.option("--model", "version", default=None, help="Model version (default: current).")
@click.option("--models-dir", type=click.Path(file_okay=False), default=None,
              help="Folder of saved models (default: models/, or $SCREENER_MODELS).")
def main(host, port, allow_remote, pending, jobs, version, models_dir):
    """Serve the screening page on this machine (http://127.0.0.1:8000 by default).

    \b
    Example:
      python serve.py --port 8000
      curl -s localhost:8000/api/score -H 'Content-Type: application/json' -d '{"texts": ["保本保息 年化18%"]}'
    """
    import uvicorn

    from features.web import create_app

    if not _is_loopback(host):
        if not allow_remote:
            raise click.UsageError(f"--host {host} lets other machines reach the page and its data; "
                                   "add --allow-remote if that is what you want")
        click.echo(f"warning: listening on {host}: anyone who can reach this machine can use the page and read "
                   "uploaded files' results", err=True)
    models_dir = models_dir or default_models_dir()
    try:
        screener = open_screener(models_dir, version, DEFAULT_DATA, notify=lambda m: click.echo(m, err=True))
    except ScreenerError as e:
        raise click.ClickException(str(e)) from None
    app = create_app(screener, models_dir, pending_path=pending, jobs=jobs)
    click.echo(f"screening page: http://{host}:{port}  (model {screener.version}; Ctrl-C to stop)", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")


if __name__ == "__main__":
    sys.exit(main())
