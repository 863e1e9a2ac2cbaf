from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

_GRAY_WEIGHTS = (0.299, 0.587, 0.114)


def prepare_recog_input(imgs: torch.Tensor,
                        size: Optional[Sequence[int]] = None,
                        gray: bool = False) -> torch.Tensor:
    """Turn SR images into what an MMOCR recognizer's data preprocessor
    expects from a loaded image: 0-255 floats, BGR or gray.

    Args:
        imgs (torch.Tensor): (N, C>=3, H, W) RGB(+mask) images in [0, 1].
        size (Sequence[int], optional): (W, H) to bicubic-resize to (e.g.
            (100, 32) in TPGSR's CRNN protocol); None keeps the size.
        gray (bool): Convert to one channel, 0.299 R + 0.587 G + 0.114 B.

    Returns:
        torch.Tensor: (N, 1 or 3, H', W') in [0, 255]; colour images are
        BGR, as mmcv loads them, so ``bgr_to_rgb`` preprocessors see RGB.
    """
    x = imgs[:, :3]
    if size is not None:
        x = F.interpolate(
            x, size=(size[1], size[0]), mode='bicubic', align_corners=False)
    if gray:
        w = x.new_tensor(_GRAY_WEIGHTS).view(1, 3, 1, 1)
        x = (x * w).sum(1, keepdim=True)
    else:
        x = x.flip(1)
    return x * 255.


def recognizer_logits(recognizer: nn.Module,
                      imgs: torch.Tensor,
                      size: Optional[Sequence[int]] = None,
                      gray: bool = False) -> torch.Tensor:
    """Per-frame logits of a CTC recognizer (MMOCR's CRNN) reading SR
    images, with gradients: the recognizer of a guided SR model.

    The images go through :func:`prepare_recog_input` and the recognizer's
    own data preprocessor, then its backbone, encoder and decoder.

    Args:
        recognizer (nn.Module): An MMOCR ``EncoderDecoderRecognizer``.
        imgs (torch.Tensor): (N, C>=3, H, W) RGB(+mask) images in [0, 1].
        size (Sequence[int], optional): (W, H) to resize to, or None.
        gray (bool): Read one gray channel.

    Returns:
        torch.Tensor: (N, T, K) logits.
    """
    x = prepare_recog_input(imgs, size, gray)
    x = recognizer.data_preprocessor(dict(inputs=x), False)['inputs']
    feat = recognizer.extract_feat(x)
    out_enc = recognizer.encoder(feat) if recognizer.with_encoder else None
    return recognizer.decoder.forward_train(feat, out_enc)
