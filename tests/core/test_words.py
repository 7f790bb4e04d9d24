import pytest

from core.words import amount_in_words


@pytest.mark.parametrize(
    ("dong", "words"),
    [
        (0, "Không đồng"),
        (15, "Mười lăm đồng"),
        (21, "Hai mươi mốt đồng"),
        (25, "Hai mươi lăm đồng"),
        (101, "Một trăm linh một đồng"),
        (1_001, "Một nghìn không trăm linh một đồng"),
        (105_000, "Một trăm linh năm nghìn đồng"),
        (100_005, "Một trăm nghìn không trăm linh năm đồng"),
        (1_000_005, "Một triệu không trăm linh năm đồng"),
        (1_000_010, "Một triệu không trăm mười đồng"),
        (1_050_000, "Một triệu không trăm năm mươi nghìn đồng"),
        (10_000_000_000, "Mười tỷ đồng"),
        (
            7_588_630_000,
            "Bảy tỷ năm trăm tám mươi tám triệu sáu trăm ba mươi nghìn đồng",
        ),
        (1_000_000_001, "Một tỷ không trăm linh một đồng"),
        (1_000_001_000, "Một tỷ không trăm linh một nghìn đồng"),
        (2_500_000_000_000, "Hai nghìn năm trăm tỷ đồng"),
    ],
)
def test_amount_in_words(dong: int, words: str) -> None:
    assert amount_in_words(dong) == words


@pytest.mark.parametrize("bad", [-1, 1.5, True, "100"])
def test_only_whole_nonnegative_dong(bad: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        amount_in_words(bad)  # type: ignore[arg-type]
