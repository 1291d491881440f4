"""The one exception type for mistakes a user can fix (bad input, missing data, bad options)."""


class UserError(Exception):
    """A problem the user can fix: ``problem`` says what is wrong, ``fix`` what to do.

    ``parameter``: the library parameter (or parameters) the error is about. The message
    names each in quotes, as the Python and web interfaces call it (``use a 'batch_size' of
    1 or more``); the CLI replaces ``'batch_size'`` by its flag (``--batch-size``). The CLI
    prints the result as one line on stderr and exits with status 2; line breaks inside
    ``problem`` or ``fix`` become spaces.
    """

    def __init__(self, problem: str, fix: str = "", parameter: str | tuple[str, ...] | None = None):
        # One line, whatever a library's message quoted in ``problem`` held (parquet's span several).
        self.problem = " ".join(problem.split()).rstrip(". ")
        self.fix = " ".join(fix.split())
        self.parameters = (parameter,) if isinstance(parameter, str) else tuple(parameter or ())
        super().__init__(f"{self.problem}. {self.fix}" if self.fix else f"{self.problem}.")
