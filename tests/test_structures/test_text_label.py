import pytest

from stisr_mmocr.structures import filter_text


def test_lower_filter():
    assert filter_text('Hello World!', 'lower') == 'helloworld'
    assert filter_text('Café-42', 'lower') == 'cafe42'


def test_all_keeps_case_and_punctuation():
    assert filter_text('Hi, You!', 'all') == 'Hi,You!'
    assert filter_text('Hi, You!', 'upper') == 'HiYou'


def test_unknown_voc_type():
    with pytest.raises(ValueError, match='voc_type'):
        filter_text('a', 'greek')
