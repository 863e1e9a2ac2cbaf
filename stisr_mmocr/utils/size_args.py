"""Sizes are named by their order: ``*_hw`` is (H, W) everywhere in the
package. Errors for the names sizes had before."""
from typing import Dict

#: Old size argument -> its (H, W) name now.
RENAMED_SIZE_ARGS = {
    'lr_size': 'lr_hw',
    'hr_size': 'hr_hw',
    'out_size': 'out_hw',
    'output_size': 'output_hw',
    'size': 'hw',
}


def renamed_size_hint(names) -> str:
    """'; `lr_size` is now `lr_hw`, an (H, W) pair' for the old size names
    among ``names`` ('' when there is none)."""
    hints = [
        f'`{name}` is now `{RENAMED_SIZE_ARGS[name]}`, an (H, W) pair'
        for name in sorted(names) if name in RENAMED_SIZE_ARGS
    ]
    return '; ' + '; '.join(hints) if hints else ''


def reject_extra_args(owner: str, extra: Dict[str, object]) -> None:
    """Raise for keyword arguments ``owner`` does not take, naming the new
    name of an old size argument.

    Args:
        owner (str): The class, named in the error.
        extra (dict): The unexpected keyword arguments.

    Raises:
        TypeError: When ``extra`` is not empty.
    """
    if extra:
        raise TypeError(f'{owner} got unexpected arguments {sorted(extra)}' +
                        renamed_size_hint(extra))
