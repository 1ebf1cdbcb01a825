import logging

from alrea.logs import ContextFormatter


def test_extra_fields_are_written_as_key_value_pairs():
    record = logging.makeLogRecord(
        {
            "msg": "tenant suspended",
            "levelname": "INFO",
            "name": "tenancy",
            "tenant_id": "abc",
            "by": "staff",
        }
    )
    line = ContextFormatter().format(record)
    assert line.endswith("INFO tenancy tenant suspended by=staff tenant_id=abc")


def test_a_line_without_extras_is_unchanged():
    record = logging.makeLogRecord({"msg": "hello", "levelname": "INFO", "name": "x"})
    assert ContextFormatter().format(record).endswith("INFO x hello")
