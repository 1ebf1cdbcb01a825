"""Changelist pagination for tables that grow to millions of rows."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property

COUNT_CAP = 10_000
UNKNOWN_COUNT = 9_999_999_999  # lets the pages past the cap open (previous/next only)


class CappedCountPaginator(Paginator):
    """Counts exactly up to COUNT_CAP rows; beyond that it stops counting.

    A COUNT(*) over a million rows costs more than the page itself; counting at most
    COUNT_CAP + 1 rows is a bounded index scan. Past the cap the changelist offers
    previous/next instead of page numbers and says "more than 10,000".
    """

    template_name = "admin_ext/pagination_capped.html"

    @cached_property
    def capped_count(self) -> int:
        return self.object_list[: COUNT_CAP + 1].count()

    @property
    def is_capped(self) -> bool:
        return self.capped_count > COUNT_CAP

    @cached_property
    def count(self) -> int:
        return UNKNOWN_COUNT if self.is_capped else self.capped_count

    @property
    def cap(self) -> int:
        return COUNT_CAP
