"""The sending window: the days and hours, in the company's time zone, a campaign may send."""

from datetime import datetime
from zoneinfo import ZoneInfo


def is_open(campaign, at: datetime) -> bool:
    local = at.astimezone(ZoneInfo(campaign.tenant.timezone))
    if campaign.window_days and local.weekday() not in campaign.window_days:
        return False
    start, end = campaign.window_start, campaign.window_end
    if start is None or end is None:
        return True
    now = local.time()
    if start <= end:
        return start <= now < end
    return now >= start or now < end  # overnight, e.g. 20:00-08:00
