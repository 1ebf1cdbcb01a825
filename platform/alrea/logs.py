import logging

# Attributes every LogRecord has; anything else was passed in ``extra=`` by our code.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class ContextFormatter(logging.Formatter):
    """``time LEVEL logger message key=value ...``: the ``extra`` fields (tenant_id, queue,
    message_id...) are part of the line, so logs can be searched by them (DESIGN rule 7)."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record):
        line = super().format(record)
        context = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        if not context:
            return line
        pairs = " ".join(f"{key}={value}" for key, value in sorted(context.items()))
        first, newline, rest = line.partition("\n")  # keep tracebacks below the pairs
        return f"{first} {pairs}{newline}{rest}"
