"""Typed errors of the zoo. Every message is one line a user can act on."""


class ZooError(Exception):
    """Base class of every error the zoo raises on purpose."""


class UnknownNameError(ZooError, LookupError):
    """A model, dataset, loss or endpoint name that the zoo does not know."""


class WeightsError(ZooError):
    """A pretrained weight file that is missing, corrupted or fails its sha256 check."""


class DataError(ZooError):
    """A dataset that cannot be loaded (unknown, offline, malformed)."""


class InputError(ZooError, ValueError):
    """A tensor handed to a model or endpoint with the wrong shape, dtype or values."""


class CheckpointError(ZooError):
    """A training checkpoint that is missing, corrupted or belongs to another model."""


class TrainingDiverged(ZooError):
    """A loss became NaN or infinite during training."""


def did_you_mean(name, choices):
    """' (did you mean: a, b?)' for close matches of `name` among `choices`, else ''."""
    import difflib

    close = difflib.get_close_matches(str(name), list(choices), n=3, cutoff=0.5)
    return f" (did you mean: {', '.join(close)}?)" if close else ""


def cli_parser(**kwargs):
    """An argparse parser whose usage errors are one line on stderr and exit status 2."""
    import argparse

    class Parser(argparse.ArgumentParser):
        def error(self, message):
            self.exit(2, f"{self.prog}: error: {message} (see --help)\n")

    class Formatter(argparse.ArgumentDefaultsHelpFormatter):
        """Appends "(default: X)" only where it informs: not to switches, unset (None) values or a
        help text that already states its default."""

        def _get_help_string(self, action):
            text = action.help or ""
            if "default" in text or action.nargs == 0 or action.default in (None, argparse.SUPPRESS, []):
                return text
            return super()._get_help_string(action)

        def _fill_text(self, text, width, indent):  # descriptions keep their own line breaks (tables)
            return "".join(indent + line for line in text.splitlines(keepends=True))

    return Parser(formatter_class=Formatter, allow_abbrev=False, **kwargs)
