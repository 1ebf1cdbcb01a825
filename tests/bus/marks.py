import pytest

# Handlers run on other threads and processes, which look up the payload's tenant on their own
# database connections: the rows must be committed. serialized_rollback restores the rows the
# migrations create (products, role groups), which the flush after each test deletes.
committed_db = pytest.mark.django_db(transaction=True, serialized_rollback=True)
