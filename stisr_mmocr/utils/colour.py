"""Colour order and gray conversion: the one place where the package turns
images from one channel order into another.

The package keeps images RGB. They become BGR only where OpenCV or mmcv
read or write them (files, encoded bytes, a recognizer's loaded image), and
gray where a recognizer or the text mask reads one channel. Numpy images
are (H, W, C) ``uint8`` as OpenCV and PIL hold them; tensors are
(N, C, H, W) batches.
"""
from typing import Optional

import cv2
import numpy as np
import torch
from PIL import Image

#: R, G, B weights of gray (ITU-R BT.601, TPGSR's and OpenCV's).
GRAY_WEIGHTS = (0.299, 0.587, 0.114)

_GRAY_METHODS = ('opencv', 'pil', 'float')


def _reverse_colours(img: np.ndarray) -> np.ndarray:
    """The first three channels of (H, W, C>=3) reversed, contiguous."""
    return np.ascontiguousarray(img[..., 2::-1])


def bgr_to_rgb(img: np.ndarray) -> np.ndarray:
    """BGR image -> RGB.

    Args:
        img (np.ndarray): (H, W, C>=3) BGR; channels after the third (alpha)
            are dropped.

    Returns:
        np.ndarray: (H, W, 3) RGB, contiguous.
    """
    return _reverse_colours(img)


def rgb_to_bgr(img: np.ndarray) -> np.ndarray:
    """RGB image -> BGR (for OpenCV and mmcv writers and loaders).

    Args:
        img (np.ndarray): (H, W, C>=3) RGB; channels after the third (the
            mask) are dropped.

    Returns:
        np.ndarray: (H, W, 3) BGR, contiguous.
    """
    return _reverse_colours(img)


def gray_to_rgb(img: np.ndarray) -> np.ndarray:
    """Gray image -> RGB with three equal channels.

    Args:
        img (np.ndarray): (H, W) or (H, W, 1).

    Returns:
        np.ndarray: (H, W, 3), same dtype.
    """
    return np.repeat(img.reshape(img.shape[:2] + (1, )), 3, axis=2)


def rgb_to_gray(img: np.ndarray, method: str = 'opencv') -> np.ndarray:
    """RGB image -> gray, ``0.299 R + 0.587 G + 0.114 B``.

    The methods differ in rounding: 'opencv' and 'pil' disagree by one
    level on about 0.1% of the colours, so each caller keeps the one its
    reference uses.

    Args:
        img (np.ndarray): (..., C>=3) RGB, ``uint8`` for 'opencv' and
            'pil'; channels after the third are dropped.
        method (str): 'opencv' (``cv2.COLOR_RGB2GRAY``'s fixed point, what
            ``cv2.imread`` gives in grayscale), 'pil' (PIL's ``'L'``, the
            official text mask) or 'float' (the unrounded weighted sum,
            float64). Defaults to 'opencv'.

    Returns:
        np.ndarray: (H, W) ``uint8``, or (...) float64 for 'float'.
    """
    if method not in _GRAY_METHODS:
        raise ValueError(f'rgb_to_gray: method must be one of {_GRAY_METHODS}'
                         f', got {method!r}')
    rgb = np.ascontiguousarray(img[..., :3])
    if method == 'opencv':
        return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    if method == 'pil':
        return np.asarray(Image.fromarray(rgb).convert('L'))
    return rgb.astype(np.float64) @ np.array(GRAY_WEIGHTS)


def tensor_rgb_to_bgr(imgs: torch.Tensor) -> torch.Tensor:
    """(N, C>=3, H, W) RGB (extra channels dropped) -> (N, 3, H, W) BGR."""
    return imgs[:, :3].flip(1)


def tensor_rgb_to_gray(imgs: torch.Tensor,
                       dtype: Optional[torch.dtype] = None) -> torch.Tensor:
    """(N, C>=3, H, W) RGB (extra channels dropped) -> (N, 1, H, W) gray,
    ``0.299 R + 0.587 G + 0.114 B``, unrounded.

    Args:
        imgs (torch.Tensor): The images.
        dtype (torch.dtype, optional): dtype of the weights; the product
            follows torch's type promotion. None: the images' dtype.

    Returns:
        torch.Tensor: The gray images.
    """
    weights = torch.tensor(
        GRAY_WEIGHTS, dtype=dtype or imgs.dtype,
        device=imgs.device).view(1, 3, 1, 1)
    return (imgs[:, :3] * weights).sum(1, keepdim=True)


def rgb_to_loaded_channels(imgs: torch.Tensor, gray: bool) -> torch.Tensor:
    """RGB images -> the channels mmcv's image loader gives a recognizer.

    Args:
        imgs (torch.Tensor): (N, C>=3, H, W), RGB first; extra channels (the
            mask) are dropped.
        gray (bool): One gray channel (:func:`tensor_rgb_to_gray`); else
            BGR.

    Returns:
        torch.Tensor: (N, 1 or 3, H, W) on the input's scale.
    """
    return tensor_rgb_to_gray(imgs) if gray else tensor_rgb_to_bgr(imgs)
