from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.structures import LabelData
from mmocr.registry import MODELS

from stisr_mmocr.structures import TextSRDataSample, filter_text
from ..losses.text_focus_loss import TextFocusLoss
from ..networks.stirer_net import CHARSET
from .base_text_sr import BaseTextSR, OptSampleList, SampleList


@MODELS.register_module()
class STIRER(BaseTextSR):
    """STIRER (ACM MM'23): unified scene text image recovery and
    recognition.

    The network (``generator``, :class:`STIRERNet` by default) yields
    ``num_steps`` SR images and readings (CTC for its stages, an
    autoregressive T5 for the final step); this model adds the official
    losses and turns the readings into texts.

    Weights: the authors' plain state dict fits the network unchanged, so
    ``generator=dict(init_cfg=dict(type='StrictPretrained',
    checkpoint='STIRER_Final_Release.pth'))`` loads it strictly (mismatches
    are reported key by key); a checkpoint of this model loads with
    ``load_from`` or with the same initializer and ``prefix='generator.'``.

    Args:
        generator (dict, optional): Network config. Defaults to the release
            architecture, ``dict(type='STIRERNet')``.
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
        data_preprocessor (dict, optional): See :class:`BaseTextSR`.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 generator: Optional[dict] = None,
                 img_loss: Optional[dict] = None,
                 alpha: float = 0.5,
                 ar_label_length: int = 31,
                 ar_eos_min_length: int = 15,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.alpha = alpha
        self.ar_label_length = ar_label_length
        self.ar_eos_min_length = ar_eos_min_length
        self.generator = MODELS.build(generator or dict(type='STIRERNet'))
        self.img_loss = MODELS.build(img_loss or dict(
            type='TextImageLoss', mse_weight=20., gradient_weight=1e-2))

    @property
    def num_steps(self) -> int:
        """SR / recognition steps of the network."""
        return self.generator.num_steps

    def _forward(self,
                 inputs: torch.Tensor,
                 data_samples: OptSampleList = None) -> Dict[str, object]:
        """The network's outputs (see :meth:`STIRERNet.forward`)."""
        return self.generator(inputs)

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
                targets[i, len(seq)] = self.generator.eos_token_id
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
        net = self.generator
        head, feat, step_sr, step_logits = net.forward_features(inputs)
        sr = net.reconstruct(inputs, head, feat)
        ids = self.encode_texts(texts)
        loss_ar = net.text_loss(net.encode_text(inputs, feat),
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
        eos = self.generator.eos_token_id
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
