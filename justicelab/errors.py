"""Errors a user can act on. The CLI prints them as one line, never as a traceback."""


class JusticeLabError(Exception):
    """Base for every error whose message is meant for the user."""


class DataError(JusticeLabError):
    """Input data breaks a rule; the message names the file, row, column and problem."""

    def __init__(self, problems: list[str], source: str = ""):
        self.problems = problems
        head = f"{source}: " if source else ""
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        super().__init__(f"{head}{problems[0]}{more}" if problems else head + "invalid data")
