"""How an MMOCR recognizer reads SR images: the one reader of the judges,
C3-STISR (paper and release) and the SR -> recognizer cascade, and the one
loader of recognizer (and SR model) configs."""
import copy
import math
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.hub import get_config
from mmengine.structures import LabelData
from mmocr.registry import MODELS
from mmocr.structures import TextRecogDataSample

from stisr_mmocr.engine.strict_load import load_checkpoint_strictly
from stisr_mmocr.utils import renamed_size_hint, rgb_to_loaded_channels

# ---------------------------------------------------------------------------
# Config loading
# ---------------------------------------------------------------------------


def load_model_config(cfg: Union[str, dict],
                      field: str) -> Tuple[dict, Optional[Config]]:
    """The ``model`` dict of a config file, or the given model dict.

    Args:
        cfg (str | dict): A config file with a top-level ``model``: a path,
            or ``pkg::path`` for the configs of an installed OpenMMLab
            package (e.g. ``mmocr::textrecog/crnn/crnn_mini-vgg_5e_mj.py``);
            or a model dict.
        field (str): The argument ``cfg`` was given as, named in errors.

    Returns:
        tuple: (a copy of the model dict, the loaded config or None).
    """
    if not isinstance(cfg, str):
        return copy.deepcopy(dict(cfg)), None
    full = get_config(cfg) if '::' in cfg else Config.fromfile(cfg)
    if 'model' not in full:
        raise KeyError(f'config {cfg} given as `{field}` has no top-level '
                       '`model`')
    return copy.deepcopy(full.model), full


# ---------------------------------------------------------------------------
# The reader
# ---------------------------------------------------------------------------

_READER_KEYS = ('hw', 'height', 'min_width', 'max_width', 'width_divisor',
                'pad_width', 'gray', 'interpolation')
_GEOMETRY_KEYS = ('hw', 'height', 'min_width', 'max_width', 'width_divisor')
_INTERPOLATIONS = ('nearest', 'bilinear', 'bicubic', 'area')
# test-pipeline transforms: loaders (their ``color_type``) and transforms
# that leave the pixels alone
_LOADERS = ('LoadImageFromFile', 'LoadImageFromNDArray', 'InferencerLoader')
_NEUTRAL_TRANSFORMS = ('LoadOCRAnnotations', 'PackTextRecogInputs')


def reader_spec_from_pipeline(pipeline: Sequence[dict]) -> dict:
    """What an MMOCR test pipeline does to a loaded image, as
    :class:`RecognizerReader` arguments.

    Understands the loaders (``color_type``), ``Resize`` (fixed ``scale``,
    (W, H) in MMOCR, given to the reader as ``hw`` = (H, W)),
    ``RescaleToHeight`` and ``PadToWidth`` (their ``interpolation``, mmcv's
    'bilinear' by default); transforms that only load annotations or pack
    are skipped.

    Args:
        pipeline (Sequence[dict]): A recognizer config's ``test_pipeline``.

    Returns:
        dict: Reader arguments.

    Raises:
        ValueError: For a transform the reader cannot reproduce on SR
            images; give ``reader`` explicitly instead.
    """
    spec: dict = dict(gray=False)
    for transform in pipeline:
        kind = transform['type'].split('.')[-1]
        if kind in _LOADERS:
            color_type = transform.get('color_type', 'color')
            spec['gray'] = color_type.startswith('grayscale')
        elif kind == 'Resize':
            if transform.get('keep_ratio', False) or 'scale' not in transform:
                raise ValueError(
                    f'test_pipeline transform {transform} keeps the ratio or '
                    'has no fixed scale; give `reader=dict(hw=(H, W))`')
            scale = transform['scale']
            if isinstance(scale, int):
                scale = (scale, scale)
            spec.update(hw=(scale[1], scale[0]),
                        interpolation=transform.get('interpolation',
                                                    'bilinear'))
        elif kind == 'RescaleToHeight':
            spec.update(height=transform['height'],
                        min_width=transform.get('min_width'),
                        max_width=transform.get('max_width'),
                        width_divisor=transform.get('width_divisor', 1),
                        interpolation=transform.get('interpolation',
                                                    'bilinear'))
        elif kind == 'PadToWidth':
            spec['pad_width'] = transform['width']
        elif kind not in _NEUTRAL_TRANSFORMS:
            raise ValueError(
                f'cannot reproduce test_pipeline transform {kind} on SR '
                'images; give `reader` explicitly')
    return spec


def _check_reader_keys(spec: dict, where: str) -> None:
    unknown = set(spec) - set(_READER_KEYS)
    if unknown:
        raise KeyError(f'unknown keys {sorted(unknown)} in {where}; '
                       f'expected some of {list(_READER_KEYS)}' +
                       renamed_size_hint(unknown))


class RecognizerReader:
    """Prepares SR images for an MMOCR recognizer as its test pipeline and
    data preprocessor prepare a loaded image, and reads them.

    (N, C>=3, H, W) RGB(+mask) images in [0, 1] are resized (to ``hw``,
    or to ``height`` as MMOCR's ``RescaleToHeight``, with
    ``interpolation``; unclamped), turned BGR or gray
    (:func:`rgb_to_loaded_channels`), put on the 0-255 scale (float, not
    rounded) and right-padded with zeros to ``pad_width`` (``PadToWidth``);
    the recognizer's own data preprocessor then converts channels,
    normalises and pads. Build it with :meth:`from_config`.

    Args:
        hw (Sequence[int], optional): (H, W) to resize to (e.g. TPGSR's
            CRNN protocol: (32, 100)). None, with no ``height``: keep the
            SR size (STIRER's ``test.py``).
        height (int, optional): Height to rescale to, the width following
            the ratio, then ``min_width``, ``max_width`` and
            ``width_divisor``, as MMOCR's ``RescaleToHeight``.
        min_width (int, optional): See ``height``.
        max_width (int, optional): See ``height``.
        width_divisor (int): See ``height``. Defaults to 1.
        pad_width (int, optional): Pad narrower images to this width.
        gray (bool): Read one gray channel. Defaults to False (BGR).
        interpolation (str): 'bilinear' (mmcv's default), 'bicubic',
            'nearest' or 'area'. Defaults to 'bilinear'.
    """

    def __init__(self,
                 hw: Optional[Sequence[int]] = None,
                 height: Optional[int] = None,
                 min_width: Optional[int] = None,
                 max_width: Optional[int] = None,
                 width_divisor: Optional[int] = 1,
                 pad_width: Optional[int] = None,
                 gray: bool = False,
                 interpolation: str = 'bilinear') -> None:
        if hw is not None and height is not None:
            raise ValueError(f'reader: give hw ({hw}) or height '
                             f'({height}), not both')
        if interpolation not in _INTERPOLATIONS:
            raise ValueError(f'reader: interpolation {interpolation!r} is '
                             f'not one of {_INTERPOLATIONS}')
        self.hw = tuple(hw) if hw is not None else None
        self.height = height
        self.min_width = min_width
        self.max_width = max_width
        self.width_divisor = width_divisor or 1
        self.pad_width = pad_width
        self.gray = bool(gray)
        self.interpolation = interpolation

    @classmethod
    def from_config(cls,
                    cfg: Optional[Config],
                    reader: Optional[dict] = None) -> 'RecognizerReader':
        """The reader of a recognizer config file, updated by ``reader``.

        The file's top-level ``reader`` (an evaluation protocol, e.g.
        ``configs/judges/crnn_textzoom.py``), else what its
        ``test_pipeline`` does (:func:`reader_spec_from_pipeline`), else
        the defaults; then the keys of ``reader``. A ``reader`` that sets
        ``hw`` or ``height`` replaces the file's geometry.

        Args:
            cfg (Config, optional): The recognizer's config file.
            reader (dict, optional): Overrides, e.g. ``dict(hw=None)``.

        Returns:
            RecognizerReader: The reader.
        """
        spec: dict = {}
        if cfg is not None and 'reader' in cfg:
            spec = dict(cfg.reader)
            _check_reader_keys(spec, f'`reader` of {cfg.filename}')
        elif cfg is not None and 'test_pipeline' in cfg:
            try:
                spec = reader_spec_from_pipeline(cfg.test_pipeline)
            except ValueError as e:
                raise ValueError(f'{cfg.filename}: {e}') from e
        if reader:
            _check_reader_keys(reader, 'the `reader` argument')
            if 'hw' in reader or 'height' in reader:
                spec = {
                    k: v
                    for k, v in spec.items() if k not in _GEOMETRY_KEYS
                }
            spec.update(reader)
        return cls(**spec)

    def target_hw(self, height: int,
                  width: int) -> Optional[Tuple[int, int]]:
        """(H, W) an (H, W) image is resized to; None keeps it."""
        if self.hw is not None:
            return self.hw
        if self.height is None:
            return None
        new_w = math.ceil(self.height / height * width)
        if self.min_width is not None:
            new_w = max(self.min_width, new_w)
        if self.max_width is not None:
            new_w = min(self.max_width, new_w)
        if new_w % self.width_divisor:
            new_w = round(new_w / self.width_divisor) * self.width_divisor
        return self.height, new_w

    def images(self, imgs: torch.Tensor) -> Tuple[torch.Tensor, float]:
        """What the test pipeline makes of the images.

        Args:
            imgs (torch.Tensor): (N, C>=3, H, W) RGB(+mask) in [0, 1].

        Returns:
            tuple: (N, 1 or 3, H', W') BGR or gray on the 0-255 scale,
            padded; and the valid ratio (unpadded / padded width).
        """
        x = imgs[:, :3]
        hw = self.target_hw(*x.shape[-2:])
        if hw is not None:
            corners = {} if self.interpolation in ('nearest', 'area') else \
                dict(align_corners=False)
            x = F.interpolate(x,
                              size=hw,
                              mode=self.interpolation,
                              **corners)
        x = rgb_to_loaded_channels(x, self.gray) * 255.
        width = x.shape[-1]
        if self.pad_width is None or self.pad_width <= width:
            return x, 1.
        return F.pad(x, (0, self.pad_width - width)), width / self.pad_width

    def inputs(
        self,
        recognizer: nn.Module,
        imgs: torch.Tensor,
        texts: Optional[Sequence[str]] = None,
        training: bool = False
    ) -> Tuple[torch.Tensor, List[TextRecogDataSample]]:
        """The recognizer's normalised batch of SR images.

        Args:
            recognizer (nn.Module): An MMOCR recognizer.
            imgs (torch.Tensor): (N, C>=3, H, W) RGB(+mask) in [0, 1].
            texts (Sequence[str], optional): Labels, set as ``gt_text``.
            training (bool): Passed to the data preprocessor.

        Returns:
            tuple: Inputs (N, 1 or 3, H', W'') as the recognizer's data
            preprocessor outputs them (with gradients), and one
            ``TextRecogDataSample`` per image.
        """
        if texts is not None and len(texts) != imgs.shape[0]:
            raise ValueError(f'{len(texts)} texts for {imgs.shape[0]} images')
        x, valid_ratio = self.images(imgs)
        samples = []
        for i in range(x.shape[0]):
            sample = TextRecogDataSample(metainfo=dict(
                img_shape=tuple(x.shape[-2:]), valid_ratio=valid_ratio))
            if texts is not None:
                sample.gt_text = LabelData(item=texts[i])
            samples.append(sample)
        data = recognizer.data_preprocessor(
            dict(inputs=x, data_samples=samples), training)
        return data['inputs'], data['data_samples']

    def predict(self, recognizer: nn.Module,
                imgs: torch.Tensor) -> List[TextRecogDataSample]:
        """Read SR images with the recognizer's ``predict``.

        Args:
            recognizer (nn.Module): An MMOCR recognizer.
            imgs (torch.Tensor): (N, C>=3, H, W) RGB(+mask) in [0, 1].

        Returns:
            list[TextRecogDataSample]: With ``pred_text`` (``item``,
            ``score``).
        """
        return recognizer.predict(*self.inputs(recognizer, imgs))

    def logits(self,
               recognizer: nn.Module,
               imgs: torch.Tensor,
               texts: Optional[Sequence[str]] = None) -> torch.Tensor:
        """The decoder's training-branch output on SR images, with
        gradients, whatever the recognizer's mode: (N, T, K) logits for a
        CTC decoder (CRNN).

        Args:
            recognizer (nn.Module): An MMOCR ``EncoderDecoderRecognizer``.
            imgs (torch.Tensor): (N, C>=3, H, W) RGB(+mask) in [0, 1].
            texts (Sequence[str], optional): Labels, needed by decoders
                that teacher-force (NRTR, SAR, ...), whose targets are then
                built by the decoder's module loss.

        Returns:
            torch.Tensor: The decoder's ``forward_train`` output.
        """
        x, samples = self.inputs(recognizer, imgs, texts)
        decoder = recognizer.decoder
        if texts is not None and decoder.module_loss is not None:
            samples = decoder.module_loss.get_targets(samples)
        feat = recognizer.extract_feat(x)
        out_enc = recognizer.encoder(
            feat, samples) if recognizer.with_encoder else None
        return decoder.forward_train(feat, out_enc, samples)

    def __repr__(self) -> str:
        args = ', '.join(f'{k}={getattr(self, k)!r}' for k in _READER_KEYS)
        return f'{self.__class__.__name__}({args})'


def build_recognizer(
        recognizer: Union[str, dict],
        checkpoint: Optional[str] = None,
        reader: Optional[dict] = None) -> Tuple[nn.Module, RecognizerReader]:
    """Build an MMOCR recognizer and its reader of SR images.

    Args:
        recognizer (str | dict): A config file (path or ``mmocr::...``) with
            a top-level ``model`` (and ``reader`` or ``test_pipeline``), or
            the model dict itself.
        checkpoint (str, optional): Weights, loaded strictly.
        reader (dict, optional): Overrides of the reader
            (:meth:`RecognizerReader.from_config`).

    Returns:
        tuple: (the recognizer, its :class:`RecognizerReader`).
    """
    model_cfg, cfg_file = load_model_config(recognizer, 'recognizer')
    model = MODELS.build(model_cfg)
    if checkpoint:
        load_checkpoint_strictly(model, checkpoint)
    return model, RecognizerReader.from_config(cfg_file, reader)
