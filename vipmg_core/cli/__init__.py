"""`python -m vipmg_core`: the same core the app uses, for notebooks, scripts and monthly routines.

Bad arguments or bad input end with one line on stderr and a non-zero exit, never a traceback.

One module per group of commands (`standard`, `data`, `accounts`, `submissions`, `tables`, `publications`,
`network`, `backup`), what they share in `common`, and the parser built from them with `main` in `parser`.
"""

from vipmg_core.cli.common import EXIT_FAILED, EXIT_REFUSED, EXIT_USAGE, Refused, UserError
from vipmg_core.cli.parser import build_parser, main

__all__ = ["EXIT_FAILED", "EXIT_REFUSED", "EXIT_USAGE", "Refused", "UserError", "build_parser", "main"]
