"""TextZoom label normalisation, shared by datasets and metrics."""
import string

_ALLOWED = {
    'lower': set(string.digits + string.ascii_lowercase),
    'upper': set(string.digits + string.ascii_letters),
    'all': set(string.digits + string.ascii_letters + string.punctuation),
}


def filter_text(text: str, voc_type: str = 'lower') -> str:
    """Normalise a label or a prediction the way the official code reads it.

    ``str_filt`` of TextZoom, TPGSR and STIRER: lowercase for ``'lower'``,
    then drop every character outside the vocabulary (spaces included).
    Accented letters and ligatures are dropped, not folded: ``'Café'`` ->
    ``'caf'``, ``'ﬁle'`` -> ``'le'``. (STIRER applies NFKD to ASCII after
    this filter, which leaves its ASCII output unchanged.)

    Args:
        text (str): Raw label or prediction.
        voc_type (str): ``'lower'`` (digits + lowercase, the 37-class
            setting), ``'upper'`` (digits + both cases) or ``'all'`` (digits,
            letters and punctuation).

    Returns:
        str: The filtered text.
    """
    if voc_type not in _ALLOWED:
        raise ValueError(f'voc_type must be one of {sorted(_ALLOWED)}, '
                         f'got {voc_type!r}')
    if voc_type == 'lower':
        text = text.lower()
    allowed = _ALLOWED[voc_type]
    return ''.join(c for c in text if c in allowed)
