from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import MMLogger
from mmengine.runner.checkpoint import CheckpointLoader
from mmengine.structures import LabelData
from mmocr.registry import MODELS

from stisr_mmocr.structures import TextSRDataSample, filter_text
from ..layers import RecurrentResidualBlock
from ..layers.stirer import (RSTB, PatchEmbed, T5EncoderDecoder, ViTEncoder,
                             conv3_residual, upsample_one_step)
from ..losses.text_focus_loss import TextFocusLoss
from .base_text_sr import BaseTextSR, OptSampleList, SampleList

#: Characters of the 37-class setting; id 0 is the CTC blank / T5 padding,
#: ``len(CHARSET) + 1`` the T5 end-of-sequence token.
CHARSET = '0123456789abcdefghijklmnopqrstuvwxyz'


@MODELS.register_module()
class STIRER(BaseTextSR):
    """STIRER (ACM MM'23): unified scene text image recovery and
    recognition.

    A 3x3 conv embeds the LR input (RGB + mask); each of the
    ``len(depths)`` stages (:class:`RSTB`) refines the features with
    shifted-window attention and a BiGRU residual block and decodes an
    intermediate SR image and CTC logits. The final step reads the
    features (+ input) with a ViT encoder and an autoregressive T5 decoder,
    and reconstructs the final SR image through a BiGRU block. That makes
    ``len(depths) + 1`` SR and recognition steps.

    Sub-module names are those of the official ``model/stirer.py``
    (``STIRER(upscale=2, img_size=(16, 64), window_size=(16, 2),
    img_range=1., depths=[4, 5, 6], embed_dim=48, num_heads=[6, 6, 6],
    mlp_ratio=2, upsampler='pixelshuffledirect', is_eval=False)``), so the
    authors' state dicts load with ``strict=True``: see
    :meth:`load_official_weights`.

    Args:
        in_chans (int): Channels of input and output images. Defaults to 4.
        img_size (tuple[int, int]): (H, W) of the LR input. Defaults to
            (16, 64).
        upscale (int): SR scale. Defaults to 2.
        window_size (tuple[int, int]): Attention windows. Defaults to
            (16, 2).
        depths (Sequence[int]): Swin blocks per stage. Defaults to
            (4, 5, 6).
        embed_dim (int): Feature channels. Defaults to 48.
        num_heads (Sequence[int]): Heads per stage. Defaults to (6, 6, 6).
        mlp_ratio (float): MLP ratio of the Swin blocks. Defaults to 2.
        drop_path_rate (float): Largest stochastic depth rate, linearly
            spread over the Swin blocks. Defaults to 0.1.
        rec_head (dict, optional): ``rec_embed_dim``, ``rec_depth``,
            ``rec_num_heads`` of the stages' ViT recognition heads over the
            official (192, 6, 3); smaller ones only for quick demos.
        decoder (dict, optional): Arguments of :class:`T5EncoderDecoder`
            over its defaults (vocab 38, d_model 96, 3 + 6 layers, ...).
        img_loss (dict, optional): Pixel loss of every SR step. Defaults to
            ``TextImageLoss(mse_weight=20, gradient_weight=1e-2)``;
            a :class:`TextFocusLoss` also receives the texts.
        alpha (float): Weight of the image losses; the recognition losses
            get ``1 - alpha``. Defaults to 0.5.
        ar_label_length (int): Length of the T5 targets. Defaults to 31.
        ar_eos_min_length (int): EOS is written into the T5 targets only for
            words of at least this many characters, the rest are padded
            with 0 (the official collate overwrites shorter words' EOS, so
            the release model ends words with padding). 0 appends EOS to
            every word. Defaults to 15.
        checkpoint (str, optional): Weights loaded strictly at construction
            (an official state dict or an mmengine checkpoint of this
            model).
        data_preprocessor (dict, optional): See :class:`BaseTextSR`.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_chans: int = 4,
                 img_size: Tuple[int, int] = (16, 64),
                 upscale: int = 2,
                 window_size: Tuple[int, int] = (16, 2),
                 depths: Sequence[int] = (4, 5, 6),
                 embed_dim: int = 48,
                 num_heads: Sequence[int] = (6, 6, 6),
                 mlp_ratio: float = 2.,
                 drop_path_rate: float = 0.1,
                 rec_head: Optional[dict] = None,
                 decoder: Optional[dict] = None,
                 img_loss: Optional[dict] = None,
                 alpha: float = 0.5,
                 ar_label_length: int = 31,
                 ar_eos_min_length: int = 15,
                 checkpoint: Optional[str] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        if len(depths) != len(num_heads):
            raise ValueError(f'depths {depths} and num_heads {num_heads} '
                             'must have one entry per stage')
        self.img_size = tuple(img_size)
        self.upscale = upscale
        self.alpha = alpha
        self.ar_label_length = ar_label_length
        self.ar_eos_min_length = ar_eos_min_length
        num_classes = len(CHARSET) + 1
        rates = torch.linspace(0, drop_path_rate, sum(depths)).tolist()

        self.conv_first = nn.Conv2d(in_chans, embed_dim, 3, 1, 1)
        self.patch_embed = PatchEmbed(embed_dim)
        self.layers = nn.ModuleList([
            RSTB(embed_dim,
                 self.img_size,
                 depth,
                 heads,
                 window_size,
                 mlp_ratio=mlp_ratio,
                 drop_path=rates[sum(depths[:i]):sum(depths[:i + 1])],
                 num_classes=num_classes,
                 out_channels=in_chans,
                 upscale=upscale,
                 **(rec_head or {}))
            for i, (depth, heads) in enumerate(zip(depths, num_heads))
        ])
        self.norm = nn.LayerNorm(embed_dim)
        self.last_sr = RecurrentResidualBlock(embed_dim + in_chans, gru_bn=True)
        self.down_conv = nn.Conv2d(embed_dim + in_chans, embed_dim, 3, 1, 1)
        self.conv_after_body = conv3_residual(embed_dim)
        self.upsample = upsample_one_step(upscale, embed_dim, in_chans)
        self.vit = ViTEncoder(img_size=self.img_size,
                              patch_size=(16, 2),
                              in_chans=embed_dim + in_chans,
                              embed_dim=96,
                              depth=3,
                              num_heads=3)
        self.decoder = T5EncoderDecoder(**(decoder or {}))
        self.apply(self._init_module)

        self.img_loss = MODELS.build(img_loss or dict(
            type='TextImageLoss', mse_weight=20., gradient_weight=1e-2))
        if checkpoint is not None:
            self.load_official_weights(checkpoint)

    @staticmethod
    def _init_module(m: nn.Module) -> None:
        """The official initialisation: truncated normal (std 0.02) for
        every Linear (T5's and the tied embedding included), unit
        LayerNorms."""
        if isinstance(m, nn.Linear):
            nn.init.trunc_normal_(m.weight, std=.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)

    @property
    def num_steps(self) -> int:
        """SR / recognition steps: one per stage plus the final one."""
        return len(self.layers) + 1

    def load_official_weights(self, checkpoint: Union[str, dict]) -> None:
        """Load a state dict in the official key layout, strictly.

        Accepts the authors' plain state dict (``STIRER_Final_Release.pth``)
        or an mmengine checkpoint of this model (``state_dict`` inside).
        The copies of T5's tied embedding must agree.

        Args:
            checkpoint (str | dict): File (or URL) or a loaded checkpoint.

        Raises:
            RuntimeError: Listing missing, unexpected and mis-shaped keys,
                or disagreeing tied copies; nothing is loaded then.
        """
        source = checkpoint if isinstance(checkpoint, str) else 'state dict'
        if isinstance(checkpoint, str):
            checkpoint = CheckpointLoader.load_checkpoint(checkpoint,
                                                          map_location='cpu')
        state = checkpoint.get('state_dict', checkpoint)
        state = {
            k[7:] if k.startswith('module.') else k: v
            for k, v in state.items()
        }
        own = self.state_dict()
        missing = sorted(set(own) - set(state))
        unexpected = sorted(set(state) - set(own))
        shapes = sorted(f'{k}: checkpoint {tuple(state[k].shape)} vs model '
                        f'{tuple(own[k].shape)}' for k in set(own) & set(state)
                        if tuple(state[k].shape) != tuple(own[k].shape))
        shared = state.get('decoder.shared.weight')
        tied = [
            key for key in (f'decoder.{name}'
                            for name in T5EncoderDecoder.TIED_COPIES)
            if shared is not None and key in state
            and state[key].shape == shared.shape
            and not torch.equal(state[key], shared)
        ]
        problems = {
            'missing keys': missing,
            'unexpected keys': unexpected,
            'shape mismatches': shapes,
            'tied copies differing from decoder.shared.weight': tied
        }
        if any(problems.values()):
            lines = [f'STIRER weights from {source} do not match the model:']
            lines += [
                f'  {title} ({len(keys)}): ' + ', '.join(keys)
                for title, keys in problems.items() if keys
            ]
            raise RuntimeError('\n'.join(lines))
        self.load_state_dict(state, strict=True)
        MMLogger.get_current_instance().info(
            f'STIRER: loaded {len(state)} tensors from {source} (strict)')

    def forward_features(
        self, inputs: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor, List[torch.Tensor],
               List[torch.Tensor]]:
        """The progressive stages.

        Args:
            inputs (torch.Tensor): (N, C, h, w) LR images in [0, 1].

        Returns:
            tuple: ``head`` (N, D, h, w) shallow features, ``feat``
            (N, D, h, w) deep features, the stages' SR images
            [(N, C, H, W)] and CTC logits [(N, w / 2, 37)].
        """
        if tuple(inputs.shape[-2:]) != self.img_size:
            raise ValueError(f'STIRER expects {self.img_size} LR inputs, got '
                             f'{tuple(inputs.shape[-2:])}')
        head = self.conv_first(inputs)
        x = self.patch_embed(head)
        step_sr, step_logits = [], []
        for layer in self.layers:
            out = layer(x)
            x = out['feat']
            step_sr.append(out['sr'])
            step_logits.append(out['rec'])
        n, _, h, w = head.shape
        feat = self.norm(x).transpose(1, 2).reshape(n, -1, h, w)
        return head, feat, step_sr, step_logits

    def reconstruct(self, inputs: torch.Tensor, head: torch.Tensor,
                    feat: torch.Tensor) -> torch.Tensor:
        """Final SR image: BiGRU block over (input, features), 3conv, the
        (detached) shallow features as residual, pixel shuffle.

        Returns:
            torch.Tensor: (N, C, H, W).
        """
        x = self.down_conv(self.last_sr(torch.cat((inputs, feat), 1)))
        return self.upsample(self.conv_after_body(x) + head.detach())

    def encode_text(self, inputs: torch.Tensor,
                    feat: torch.Tensor) -> torch.Tensor:
        """ViT tokens of (features, input) for the T5: (N, w / 2, 96)."""
        return self.vit(torch.cat((feat, inputs), 1))

    def _forward(self,
                 inputs: torch.Tensor,
                 data_samples: OptSampleList = None) -> Dict[str, object]:
        """Every step's outputs, greedy decoding for the final text.

        Args:
            inputs (torch.Tensor): (N, 4, 16, 64) LR images (RGB + mask).
            data_samples: Unused.

        Returns:
            dict: ``sr`` (N, 4, 32, 128) final SR; ``step_sr`` list of the
            stages' (N, 4, 32, 128) SR images; ``step_logits`` list of
            (N, 32, 37) CTC logits; ``text_ids`` (N, T) greedy T5 ids
            (start token excluded, T <= 20) and ``text_scores`` (N, T)
            their log-probabilities.
        """
        head, feat, step_sr, step_logits = self.forward_features(inputs)
        text_ids, text_scores = self.decoder.generate(
            self.encode_text(inputs, feat))
        return dict(sr=self.reconstruct(inputs, head, feat),
                    step_sr=step_sr,
                    step_logits=step_logits,
                    text_ids=text_ids,
                    text_scores=text_scores)

    @staticmethod
    def encode_texts(texts: Sequence[str]) -> List[List[int]]:
        """Filtered labels -> ids (1-based into :data:`CHARSET`)."""
        return [[CHARSET.index(c) + 1 for c in filter_text(t, 'lower')]
                for t in texts]

    def ar_targets(self, ids: List[List[int]],
                   device: torch.device) -> torch.Tensor:
        """(N, ar_label_length) T5 targets: characters, EOS for long enough
        words (see ``ar_eos_min_length``), padding 0."""
        targets = torch.zeros(len(ids), self.ar_label_length, dtype=torch.long)
        for i, seq in enumerate(ids):
            seq = seq[:self.ar_label_length - 1]
            targets[i, :len(seq)] = torch.tensor(seq, dtype=torch.long)
            if len(seq) >= self.ar_eos_min_length:
                targets[i, len(seq)] = self.decoder.eos_token_id
        return targets.to(device)

    def loss(self, inputs: torch.Tensor,
             data_samples: SampleList) -> Dict[str, torch.Tensor]:
        """The official objective.

        ``alpha * sum_k (k + 1) * img_loss(SR_k)`` over the ``num_steps``
        SR images, plus ``(1 - alpha) * (num_steps * CE_T5 +
        sum_k (k + 1) * CTC_k)`` over the stages' CTC logits.

        Returns:
            dict: ``loss_img``, ``loss_ctc`` and ``loss_ar`` (weighted; they
            sum to the official total).
        """
        texts = [s.gt_text.item for s in data_samples]
        hr = self.stack_gt_img(data_samples)
        head, feat, step_sr, step_logits = self.forward_features(inputs)
        sr = self.reconstruct(inputs, head, feat)
        ids = self.encode_texts(texts)
        _, loss_ar = self.decoder(self.encode_text(inputs, feat),
                                  self.ar_targets(ids, inputs.device))

        with_text = isinstance(self.img_loss, TextFocusLoss)
        loss_img = sum(
            (k + 1) * (self.img_loss(img, hr, texts) if with_text else self.
                       img_loss(img, hr))
            for k, img in enumerate(step_sr + [sr]))

        lengths = torch.tensor([len(s) for s in ids], dtype=torch.long)
        targets = torch.tensor([c for s in ids for c in s], dtype=torch.long)
        loss_ctc = 0.
        for k, logits in enumerate(step_logits):
            log_probs = logits.float().log_softmax(-1).transpose(0, 1)
            input_lengths = torch.full((logits.shape[0], ),
                                       logits.shape[1],
                                       dtype=torch.long)
            loss_ctc = loss_ctc + (k + 1) * F.ctc_loss(log_probs,
                                                       targets.to(
                                                           logits.device),
                                                       input_lengths,
                                                       lengths,
                                                       blank=0,
                                                       reduction='mean',
                                                       zero_infinity=True)
        return dict(loss_img=self.alpha * loss_img,
                    loss_ctc=(1 - self.alpha) * loss_ctc,
                    loss_ar=(1 - self.alpha) * self.num_steps * loss_ar)

    @staticmethod
    def decode_ctc(logits: torch.Tensor) -> List[str]:
        """Greedy CTC decoding (collapse repeats, drop blanks) of
        (N, L, 37) logits."""
        best = logits.argmax(-1)
        keep = best != 0
        keep[:, 1:] &= best[:, 1:] != best[:, :-1]
        return [
            ''.join(CHARSET[i - 1] for i in row[mask].tolist())
            for row, mask in zip(best.cpu(), keep.cpu())
        ]

    def decode_ar(self, ids: torch.Tensor,
                  scores: torch.Tensor) -> List[Tuple[str, float]]:
        """T5 ids -> (text, score): read up to EOS, padding skipped; the
        score is the mean probability of the characters (0 when empty)."""
        eos = self.decoder.eos_token_id
        results = []
        for row, row_scores in zip(ids.tolist(), scores.exp().tolist()):
            chars, probs = [], []
            for i, p in zip(row, row_scores):
                if i == eos:
                    break
                if 0 < i <= len(CHARSET):
                    chars.append(CHARSET[i - 1])
                    probs.append(p)
            results.append(
                (''.join(chars), sum(probs) / len(probs) if probs else 0.))
        return results

    def predict(self,
                inputs: torch.Tensor,
                data_samples: OptSampleList = None) -> SampleList:
        """SR images and texts of every step.

        Returns:
            list[TextSRDataSample]: ``pred_img`` (final SR, (C, H, W)),
            ``pred_text`` (the T5 reading, with its score),
            ``pred_img_steps`` and ``pred_text_steps``: ``num_steps``
            entries, the stages' SR images / CTC readings followed by the
            final ones (so step ``num_steps - 1`` is the final step, as the
            official ``test.py`` counts).
        """
        out = self._forward(inputs, data_samples)
        if data_samples is None:
            data_samples = [TextSRDataSample() for _ in range(len(inputs))]
        srs = [img.detach() for img in out['step_sr'] + [out['sr']]]
        step_texts = [self.decode_ctc(lg) for lg in out['step_logits']]
        final = self.decode_ar(out['text_ids'], out['text_scores'])
        for i, sample in enumerate(data_samples):
            sample.pred_img = srs[-1][i]
            sample.pred_img_steps = [img[i] for img in srs]
            sample.pred_text = LabelData(item=final[i][0], score=final[i][1])
            sample.pred_text_steps = [t[i] for t in step_texts] + [final[i][0]]
        return data_samples
