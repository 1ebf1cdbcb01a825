class SpreadsheetError(Exception):
    """The file (or the import asked of it) cannot go on. ``message`` is for the user, already
    in their language."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = str(message)
