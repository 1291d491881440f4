"""The one exception type for mistakes a user can fix (bad input, missing data, bad options)."""


class UserError(Exception):
    """A problem the user can fix: ``problem`` says what is wrong, ``fix`` what to do.

    The CLI prints ``str(error)`` as one line on stderr and exits with status 2.
    """

    def __init__(self, problem: str, fix: str = ""):
        self.problem = problem.rstrip(". ")
        self.fix = fix.strip()
        super().__init__(f"{self.problem}. {self.fix}" if self.fix else f"{self.problem}.")
