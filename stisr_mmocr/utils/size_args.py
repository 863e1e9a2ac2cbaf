"""Sizes are named by their order: ``*_hw`` is (H, W) everywhere in the
package, and the SR network of every model is its ``generator``. Errors for
the names these had before."""
from typing import Dict

#: Old size argument -> its (H, W) name now.
RENAMED_SIZE_ARGS = {
    'lr_size': 'lr_hw',
    'hr_size': 'hr_hw',
    'out_size': 'out_hw',
    'output_size': 'output_hw',
    'size': 'hw',
}


#: Old name of a model's SR network (or of its options) -> the name now.
RENAMED_PART_ARGS = {
    'backbone': 'generator',
    'network': 'generator',
    'sr': 'generator',
    'sr_checkpoint': 'generator_checkpoint',
    'freeze_sr': 'freeze_generator',
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
    name of an old size or SR-network argument.

    Args:
        owner (str): The class, named in the error.
        extra (dict): The unexpected keyword arguments.

    Raises:
        TypeError: When ``extra`` is not empty.
    """
    if extra:
        parts = [
            f'`{name}` is now `{RENAMED_PART_ARGS[name]}` (the SR network '
            'of every model)' for name in sorted(extra)
            if name in RENAMED_PART_ARGS
        ]
        raise TypeError(f'{owner} got unexpected arguments {sorted(extra)}' +
                        renamed_size_hint(extra) +
                        ('; ' + '; '.join(parts) if parts else ''))
