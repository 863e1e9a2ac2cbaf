"""RecognizerReader: an MMOCR recognizer reads an SR image as its own test
pipeline and data preprocessor read the same image from a file."""
import cv2
import pytest
import torch
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope

import stisr_mmocr  # noqa: F401
from stisr_mmocr.models.judges import build_recognizer, load_model_config

NRTR = 'mmocr::textrecog/nrtr/nrtr_modality-transform_6e_st_mj.py'
ABINET_VISION = 'mmocr::textrecog/abinet/abinet-vision_20e_st-an_mj.py'
CRNN = 'mmocr::textrecog/crnn/crnn_mini-vgg_5e_mj.py'


@pytest.fixture(autouse=True)
def mmocr_scope():
    init_default_scope('mmocr')


def pipeline_batch(config: str, model: torch.nn.Module, path: str) -> dict:
    """The recognizer's test pipeline on an image file, then its data
    preprocessor."""
    _, cfg = load_model_config(config, 'recognizer')
    data = Compose(cfg.test_pipeline)(dict(img_path=path,
                                           instances=[dict(text='hello')]))
    return model.data_preprocessor(
        dict(inputs=[data['inputs']], data_samples=[data['data_samples']]),
        False)


# (config, SR image (H, W), gray); the comments say what its test pipeline
# does to that image
CASES = [
    # RescaleToHeight(32): 100 * 32 / 48 -> 67 -> divisor 16 -> 64 (bilinear
    # down-scaling), then PadToWidth(160): valid ratio 64 / 160
    (NRTR, (48, 100), False),
    # Resize(128, 32), bilinear up-scaling of a 64x16 LR-sized image
    (ABINET_VISION, (16, 64), False),
    # gray loading, RescaleToHeight(32) -> 64
    (CRNN, (48, 100), True),
]


@pytest.mark.parametrize('config, sr_hw, gray', CASES)
def test_reader_matches_the_recognizer_test_pipeline(config, sr_hw, gray,
                                                     tmp_path):
    """The pipeline decodes the PNG to uint8 (gray: OpenCV / libpng's
    fixed-point 0.299 / 0.587 / 0.114, rounded) and resizes with OpenCV's
    fixed-point (11-bit weights) bilinear kernel, rounding to uint8 again;
    the reader does the same in float without rounding. The image holds
    exact uint8 values, so the two differ by the roundings only: under one
    gray level in colour (one rounding, plus the weights' quantisation),
    under two in gray (two roundings), and by much less on average. Random
    pixels are the hardest case for the interpolation: the next nearest
    choice (bicubic instead of bilinear) is off by tens of levels."""
    model, reader = build_recognizer(config)
    assert reader.gray == gray and reader.interpolation == 'bilinear'
    height, width = sr_hw
    gen = torch.Generator().manual_seed(0)
    rgb = torch.randint(0,
                        256, (3, height, width),
                        generator=gen,
                        dtype=torch.uint8)
    mask = torch.rand(1, height, width, generator=gen)
    sr = torch.cat([rgb / 255., mask])[None]
    path = str(tmp_path / 'sr.png')
    assert cv2.imwrite(path, rgb.permute(1, 2, 0).numpy()[..., ::-1].copy())
    ref = pipeline_batch(config, model, path)

    x, samples = reader.inputs(model, sr)
    assert x.shape == ref['inputs'].shape
    assert x.shape[1] == (1 if gray else 3)
    for key in ('img_shape', 'valid_ratio', 'batch_input_shape'):
        assert samples[0].get(key) == pytest.approx(
            ref['data_samples'][0].get(key)), key
    # back on the 0-255 scale of the loaded image
    std = model.data_preprocessor.std
    levels = ((x - ref['inputs']) * std).abs()
    assert levels.max() < (2. if gray else 1.)
    assert levels.mean() < 0.75

    reader.interpolation = 'bicubic'
    wrong = ((reader.inputs(model, sr)[0] - ref['inputs']) * std).abs()
    assert wrong.max() > 20


def test_reader_logits_of_a_teacher_forced_decoder_keep_gradients():
    """NRTR's training branch teacher-forces: the reader builds the
    targets from the texts; gradients reach the SR image."""
    model, reader = build_recognizer(NRTR)
    model.eval()
    sr = torch.rand(2, 4, 32, 128, requires_grad=True)
    logits = reader.logits(model, sr, texts=['hello', 'sr'])
    max_seq_len = model.decoder.max_seq_len
    assert logits.shape == (2, max_seq_len,
                            model.decoder.dictionary.num_classes)
    logits.sum().backward()
    assert sr.grad[:, :3].abs().sum() > 0 and sr.grad[:, 3].eq(0).all()
    with pytest.raises(ValueError, match='1 texts for 2 images'):
        reader.logits(model, sr, texts=['hello'])
    reads = reader.predict(model, sr.detach())
    assert len(reads) == 2 and isinstance(reads[0].pred_text.item, str)
