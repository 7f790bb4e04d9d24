import pytest

from core.money import MAX_AMOUNT, AmountError, format_vnd, parse_vnd, percent_of


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (7_588_630_000, "7.588.630.000 ₫"),
        (0, "0 ₫"),
        (999, "999 ₫"),
        (1000, "1.000 ₫"),
        (-2_200_000, "-2.200.000 ₫"),
        (10**15, "1.000.000.000.000.000 ₫"),
    ],
)
def test_amounts_are_written_the_vietnamese_way(amount: int, text: str) -> None:
    assert format_vnd(amount) == text


def test_format_refuses_floats() -> None:
    with pytest.raises(TypeError):
        format_vnd(1.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("7.588.630.000", 7_588_630_000),
        ("7588630000", 7_588_630_000),
        ("2.200.000 ₫", 2_200_000),
        (" 500000 ", 500_000),
        (1200000, 1_200_000),
    ],
)
def test_amounts_people_type_are_read(text: str, amount: int) -> None:
    assert parse_vnd(text) == amount


@pytest.mark.parametrize(
    "text", ["-5", "1,5", "1.5", "12.34.567", "abc", "", "1e6", "10.000.000.000.000.001"]
)
def test_bad_amounts_are_refused(text: str) -> None:
    with pytest.raises(AmountError):
        parse_vnd(text)


def test_amounts_up_to_the_ceiling_round_trip_exactly() -> None:
    assert parse_vnd(format_vnd(MAX_AMOUNT)) == MAX_AMOUNT


def test_percentages_round_half_up_to_the_dong() -> None:
    assert percent_of(1_000_001, 5000) == 500_001  # 500,000.5 rounds up
    assert percent_of(999, 3333) == 333  # 332.97 rounds up
    assert percent_of(7_588_630_000, 10000) == 7_588_630_000
