import string

import pytest

from stisr_mmocr.structures import filter_text


def str_filt_as_read(text, voc_type):
    """``str_filt`` of TextZoom / TPGSR / STIRER as their code reads:
    lowercase (for 'lower'), then remove every character that is not in
    the vocabulary; STIRER then applies NFKD -> ASCII (a no-op on ASCII)."""
    vocab = {
        'lower': string.digits + string.ascii_lowercase,
        'upper': string.digits + string.ascii_letters,
        'all': string.digits + string.ascii_letters + string.punctuation,
    }[voc_type]
    if voc_type == 'lower':
        text = text.lower()
    for char in set(text):
        if char not in vocab:
            text = text.replace(char, '')
    return text


def test_lower_filter():
    assert filter_text('Hello World!', 'lower') == 'helloworld'
    assert filter_text('Café-42', 'lower') == 'caf42'


@pytest.mark.parametrize(
    'raw, expected',
    [
        ('Café', 'caf'),
        ('naïve', 'nave'),
        ('\ufb01le', 'le'),  # the 'fi' ligature is dropped, not folded
        ('ÉCOLE', 'cole'),
        ('Straße', 'strae'),
        ('ＡＢＣ1', '1'),  # full-width letters are dropped
        ('\u0130stanbul', 'istanbul'),  # lower() first: 'İ' -> 'i' + U+0307
        ('\u212a9', 'k9'),  # the Kelvin sign lowercases to 'k'
        ('é', ''),
    ])
def test_lower_drops_instead_of_folding(raw, expected):
    assert filter_text(raw, 'lower') == expected
    assert str_filt_as_read(raw, 'lower') == expected


def test_all_keeps_case_and_punctuation():
    assert filter_text('Hi, You!', 'all') == 'Hi,You!'
    assert filter_text('Hi, You!', 'upper') == 'HiYou'
    assert filter_text('Naïve Café!', 'all') == 'NaveCaf!'
    assert filter_text('\u0130\u212a', 'upper') == ''


@pytest.mark.parametrize('voc_type', ['lower', 'upper', 'all'])
def test_matches_the_official_filter(voc_type):
    words = [
        'Hello World!', 'A-1 b_2', 'Café Noël', '\ufb01\ufb02', 'Ωmega',
        '\u0130\u212a', 'tab\there', '3.14%', ''
    ]
    for w in words:
        assert filter_text(w, voc_type) == str_filt_as_read(w, voc_type), w


def test_unknown_voc_type():
    with pytest.raises(ValueError, match='voc_type'):
        filter_text('a', 'greek')
