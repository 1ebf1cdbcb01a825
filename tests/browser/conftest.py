"""Browser tests: Debian's Chromium, through Playwright, against pytest-django's live server.

Why the sync API without DJANGO_ALLOW_ASYNC_UNSAFE: while Playwright's sync API is open it keeps
an asyncio loop "running" in the test thread, and Django refuses ORM calls from a thread with a
running loop (SynchronousOnlyOperation). Rather than switch that safety check off for the whole
process, the ``page`` fixture opens Chromium only after the database work it depends on (the
``cast``) is done, and closes it before pytest-django flushes the database. Inside a test the
browser is then the only way in, which is what a browser test is for; a test that must read the
database afterwards opens the browser itself (``with chromium_page(...)``) and queries once the
block has closed. The async API would not help: the test itself would then run in a loop.

The live server is another thread with its own database connection, so these tests are
transactional. Mark them ``django_db(transaction=True, serialized_rollback=True)``: the flush
after each one would otherwise delete the rows the migrations create (products, role groups),
which the tests that run after them rely on.
"""

import pytest

from tests.browser.chromium import chromium_page


@pytest.fixture
def page(live_server, cast):
    """A Chromium page on the live server, with the demo cast already in the database."""
    with chromium_page(live_server.url) as page:
        yield page
