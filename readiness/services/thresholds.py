"""The small-group threshold: the fewest answers a group needs before its results are shown, and the size of the
batches the ballot box releases.

The agency chooses it (``readiness_min_cell``, 5 by default, never below 3). A wave takes the agency's value when
its invitations first go out and keeps it for good (``Campaign.min_cell``): the invitation email states that number,
and its results, open answers, exports and ballot releases use it whatever the setting says later. So lowering the
setting changes only waves invited afterwards, and nobody can lower it step by step to see a past wave's small
groups. A wave not yet invited follows the setting.
"""

from __future__ import annotations

from core import settings
from readiness.models import Campaign

SETTING = "readiness_min_cell"
LOWEST_MINIMUM = 3
DEFAULT_MINIMUM = 5


def minimum_cell() -> int:
    """The agency's setting now; never below 3 (a bad stored value falls back to 5). Only waves invited from now on
    take it: read a wave's own with ``for_campaign``."""
    raw = settings.get(SETTING).strip()
    value = int(raw) if raw.isascii() and raw.isdigit() else DEFAULT_MINIMUM
    return max(LOWEST_MINIMUM, value)


def for_campaign(campaign: Campaign) -> int:
    """The wave's own threshold, fixed when its invitations went out (the agency's setting until then)."""
    return max(LOWEST_MINIMUM, campaign.min_cell) if campaign.min_cell is not None else minimum_cell()


def fix(campaign: Campaign) -> int:
    """Fix the wave's threshold to the agency's setting now, once: called as its first invitations go out."""
    if campaign.min_cell is None:
        campaign.min_cell = minimum_cell()
    return campaign.min_cell
