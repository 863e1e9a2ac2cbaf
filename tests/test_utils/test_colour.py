"""The colour module against hand-computed pixels."""
import numpy as np
import pytest
import torch

from stisr_mmocr.utils import (bgr_to_rgb, gray_to_rgb, rgb_to_bgr,
                               rgb_to_gray, rgb_to_loaded_channels,
                               tensor_rgb_to_bgr, tensor_rgb_to_gray)


def test_channel_order_of_numpy_images():
    # one row of two BGRA pixels; alpha is dropped
    bgra = np.array([[[10, 20, 30, 255], [1, 2, 3, 0]]], np.uint8)
    rgb = bgr_to_rgb(bgra)
    assert rgb.tolist() == [[[30, 20, 10], [3, 2, 1]]]
    assert rgb.flags['C_CONTIGUOUS'] and rgb.dtype == np.uint8
    # RGB + mask -> BGR, and back
    rgbm = np.array([[[200, 100, 0, 255]]], np.uint8)
    assert rgb_to_bgr(rgbm).tolist() == [[[0, 100, 200]]]
    assert bgr_to_rgb(rgb_to_bgr(rgbm)).tolist() == [[[200, 100, 0]]]


@pytest.mark.parametrize('shape', [(1, 2), (1, 2, 1)])
def test_gray_to_rgb_repeats_the_channel(shape):
    gray = np.array([7, 200], np.uint8).reshape(shape)
    assert gray_to_rgb(gray).tolist() == [[[7, 7, 7], [200, 200, 200]]]


def test_rgb_to_gray_keeps_each_rounding():
    # (10, 20, 30): 2.99 + 11.74 + 3.42 = 18.15 -> 18 either way.
    # (12, 0, 8): 3.588 + 0.912 = 4.5, a tie: OpenCV's 14-bit weights
    # (12 * 4899 + 8 * 1868 + 2^13) >> 14 = 81924 >> 14 = 5; PIL's 16-bit
    # ones (12 * 19595 + 8 * 7471 + 2^15) >> 16 = 327676 >> 16 = 4.
    img = np.array([[[10, 20, 30], [12, 0, 8]]], np.uint8)
    assert rgb_to_gray(img).tolist() == [[18, 5]]
    assert rgb_to_gray(img, 'opencv').dtype == np.uint8
    assert rgb_to_gray(img, 'pil').tolist() == [[18, 4]]
    assert rgb_to_gray(img, 'float') == pytest.approx(np.array([[18.15,
                                                                 4.5]]))
    # a mask channel is ignored
    with_mask = np.concatenate([img, np.full((1, 2, 1), 255, np.uint8)], 2)
    assert rgb_to_gray(with_mask, 'pil').tolist() == [[18, 4]]
    # one colour, as the synthetic generator's contrast check uses it
    assert float(rgb_to_gray(np.array([100., 150., 200.]), 'float')) == \
        pytest.approx(29.9 + 88.05 + 22.8)
    with pytest.raises(ValueError, match="'lab'"):
        rgb_to_gray(img, 'lab')


def test_tensor_conversions():
    # (N=1, RGB + mask, 1, 2): pixels (1, 0.5, 0) and (0, 0, 1)
    imgs = torch.tensor([[[[1., 0.]], [[.5, 0.]], [[0., 1.]], [[9., 9.]]]])
    gray = tensor_rgb_to_gray(imgs)
    assert gray.shape == (1, 1, 1, 2)
    assert gray.flatten().tolist() == pytest.approx([.299 + .2935, .114])
    bgr = tensor_rgb_to_bgr(imgs)
    assert bgr.flatten().tolist() == [0., 1., .5, 0., 1., 0.]
    assert torch.equal(rgb_to_loaded_channels(imgs, gray=True), gray)
    assert torch.equal(rgb_to_loaded_channels(imgs, gray=False), bgr)
    # weights in the images' dtype unless told
    half = imgs.bfloat16()
    assert tensor_rgb_to_gray(half).dtype == torch.bfloat16
    assert tensor_rgb_to_gray(half, torch.float32).dtype == torch.float32
