"""CE progress against a cycle's rules: hours by category, the limits (a category's maximum, online and
self-paced), minimums, what is still missing and whether the person is on pace. Plain arithmetic, no database."""

from __future__ import annotations

from datetime import date, timedelta

from core.credentials import RuleSet
from training.services.progress import PACE_ALLOWANCE_DAYS, compute

START, END = date(2026, 1, 1), date(2027, 12, 31)  # 730 days


def rules(**fields: object) -> RuleSet:
    values: dict[str, object] = {"cycle_months": 24, "required_qh": 36 * 4, "grace_days": 0}
    values.update(fields)
    return RuleSet(**values)  # type: ignore[arg-type]


def h(hours: float) -> int:
    return round(hours * 4)


def by_category(progress, category):
    return next(c for c in progress.categories if c.category == category)


def test_hours_add_up_and_what_is_missing_is_the_rest():
    found = compute(rules(), {("recovery", "in_person"): h(10), ("general", "live_online"): h(6.5)}, START, END)
    assert (found.logged_qh, found.counted_qh, found.missing_qh) == (h(16.5), h(16.5), h(19.5))
    assert found.percent == 45


def test_a_category_minimum_is_missing_even_when_the_total_is_met():
    found = compute(
        rules(minimums={"ethics": h(3)}), {("recovery", "in_person"): h(40), ("ethics", "in_person"): h(1)}, START, END
    )
    assert found.counted_qh == h(41)
    assert found.missing_qh == h(2)
    assert by_category(found, "ethics").missing_qh == h(2)
    assert [c.category for c in found.short_categories] == ["ethics"]


def test_minimum_hours_count_toward_the_total():
    found = compute(rules(minimums={"ethics": h(3)}), {("general", "in_person"): h(30)}, START, END)
    assert found.missing_qh == h(6)  # 3 of ethics and 3 more of anything


def test_a_category_maximum_counts_in_person_hours_first():
    found = compute(
        rules(maximums={"general": h(10)}, max_online_qh=h(4)),
        {("general", "in_person"): h(8), ("general", "self_paced"): h(6)},
        START,
        END,
    )
    general = by_category(found, "general")
    assert (general.logged_qh, general.counted_qh) == (h(14), h(10))
    assert found.self_paced_counted_qh == h(2)  # the in-person hours filled the category first
    assert found.left_out == ["4 hours of other approved topics are over the 10 hours that count in this category."]


def test_the_online_limit_spares_a_minimum_another_category_can_give_up():
    found = compute(
        rules(minimums={"ethics": h(3)}, max_online_qh=h(10)),
        {("ethics", "live_online"): h(3), ("recovery", "live_online"): h(12), ("trauma", "in_person"): h(2)},
        START,
        END,
    )
    assert found.online_counted_qh == h(10)
    assert by_category(found, "ethics").counted_qh == h(3)  # cut from recovery, which has hours to spare
    assert by_category(found, "recovery").counted_qh == h(7)
    assert found.left_out == ["5 hours of online courses (live and self-paced) are over the limit of 10 hours."]


def test_the_self_paced_limit_then_the_online_limit():
    found = compute(
        rules(max_online_qh=h(10), max_self_paced_qh=h(4)),
        {("general", "self_paced"): h(8), ("recovery", "live_online"): h(9)},
        START,
        END,
    )
    assert found.self_paced_counted_qh == h(4)
    assert found.online_counted_qh == h(10)
    assert found.counted_qh == h(10)


def test_quarter_hours_stay_exact():
    found = compute(rules(required_qh=h(1)), {("ethics", "in_person"): 1, ("general", "in_person"): 3}, START, END)
    assert found.missing_qh == 0
    assert found.on_pace_until is None


def test_on_pace_allows_a_month_and_flags_anything_missing_in_the_last_month():
    nothing = compute(rules(), {}, START, END)
    assert nothing.on_pace_until == START + timedelta(days=PACE_ALLOWANCE_DAYS)
    assert not nothing.behind(START + timedelta(days=PACE_ALLOWANCE_DAYS))
    assert nothing.behind(START + timedelta(days=PACE_ALLOWANCE_DAYS + 1))
    half = compute(rules(), {("general", "in_person"): h(18)}, START, END)
    assert half.on_pace_until == START + timedelta(days=365 + PACE_ALLOWANCE_DAYS)
    almost = compute(rules(), {("general", "in_person"): h(35.75)}, START, END)
    assert almost.on_pace_until == END - timedelta(days=PACE_ALLOWANCE_DAYS)
    done = compute(rules(), {("general", "in_person"): h(36)}, START, END)
    assert done.on_pace_until is None
    assert not done.behind(END + timedelta(days=100))


def test_a_credential_asking_for_no_hours_is_never_behind():
    found = compute(rules(required_qh=0), {}, START, END)
    assert (found.missing_qh, found.on_pace_until, found.percent) == (0, None, 100)
