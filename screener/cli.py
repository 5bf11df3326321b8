"""What train.py, predict.py and serve.py share: options that mean the same everywhere, and error handling."""
from __future__ import annotations

import click

from .config import default_models_dir
from .errors import ScreenerError

CONTEXT = {"help_option_names": ["-h", "--help"]}

encoding_option = click.option("--encoding", default=None, metavar="ENC",
                               help="Text encoding of the input file (default: detect UTF-8 / GB18030).")
text_column_option = click.option("--text-column", default=None, metavar="COL",
                                  help="Column holding the ads (found automatically when clear).")
model_option = click.option("--model", "model_version", default=None, metavar="VERSION",
                            help="Model version to use (default: the current one).")
models_dir_option = click.option("--models-dir", type=click.Path(file_okay=False), default=None,
                                 callback=lambda ctx, param, value: value or default_models_dir(),
                                 help="Folder of saved models (default: models/, or $SCREENER_MODELS).")


class ScreenerClickException(click.ClickException):
    """A user's error: '错误：' and the message on standard error, exit code 1."""

    def show(self, file=None) -> None:
        click.echo(f"错误：{self.format_message()}", err=True)


def notify(message: str) -> None:
    """Progress and warnings go to standard error; results alone go to standard output."""
    click.echo(message, err=True)


class _LibraryErrorsAsMessages:
    """The library's errors become a message on stderr and exit code 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ScreenerError as e:
            raise ScreenerClickException(str(e)) from None


class ScreenerCommand(_LibraryErrorsAsMessages, click.Command):
    pass


class ScreenerGroup(_LibraryErrorsAsMessages, click.Group):
    pass
