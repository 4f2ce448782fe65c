"""mmengine's ``ValLoop`` that also logs the validation loss, for monitoring and early stopping."""
from typing import Dict, List, Sequence, Tuple

import torch
from mmengine.model import BaseTTAModel, is_model_wrapper
from mmengine.runner import ValLoop
from mmengine.runner.amp import autocast
from mmengine.runner.loops import _update_losses
from mmengine.structures import BaseDataElement
from mmseg.models.utils import resize
from mmseg.registry import LOOPS
from torch import Tensor

__all__ = ['ValLossLoop', 'predict_with_loss', 'crop_to_original']


def crop_to_original(logits: Tensor, meta: dict, align_corners: bool) -> Tensor:
    """One image's logits (``1×C×H×W`` at the network input size) brought to its original size
    the way ``EncoderDecoder.postprocess_result`` does it: padding (``img_padding_size``, e.g.
    seg_ext's ``ReflectPad``, or ``padding_size``) cropped, flip undone, resized to
    ``ori_shape``. Logits, not probabilities (mmseg stores sigmoid outputs for 1-channel
    heads)."""
    h, w = logits.shape[-2:]
    left, right, top, bottom = meta.get('img_padding_size', meta.get('padding_size', [0] * 4))
    logits = logits[:, :, top:h - bottom, left:w - right]
    if meta.get('flip'):
        logits = logits.flip(dims=(3, ) if meta.get('flip_direction') == 'horizontal' else (2, ))
    return resize(logits, size=meta['ori_shape'], mode='bilinear', align_corners=align_corners,
                  warning=False)


def predict_with_loss(model, inputs: Tensor,
                      data_samples: Sequence) -> Tuple[List, Dict[str, Tensor]]:
    """``model.predict(inputs, data_samples)`` (an ``EncoderDecoder``) and the decode head's loss
    terms on the same forward pass, averaged over the batch.

    The loss compares each image's logits, cropped to the original size
    (:func:`crop_to_original`), with its ground truth: test pipelines load the labels unpadded
    (at ``ori_shape``) while the input may be padded, so the network output must be cropped --
    resizing it onto the labels, as ``loss_by_feat`` alone would, misaligns every pixel.
    """
    metas = [s.metainfo for s in data_samples]
    seg_logits = model.inference(inputs, metas)
    head = model.decode_head
    total: Dict[str, Tensor] = {}
    for i, sample in enumerate(data_samples):
        logits = crop_to_original(seg_logits[i:i + 1], metas[i], head.align_corners)
        gt_shape = tuple(sample.gt_sem_seg.data.shape[-2:])
        if tuple(logits.shape[-2:]) != gt_shape:
            raise ValueError(f'{metas[i].get("img_path")}: validation labels are {gt_shape} '
                             f'but the prediction at ori_shape is {tuple(logits.shape[-2:])}')
        for k, v in head.loss_by_feat(logits, [sample]).items():
            if 'loss' in k:
                total[k] = total.get(k, 0) + v / len(data_samples)
    return model.postprocess_result(seg_logits, data_samples), total


@LOOPS.register_module()
class ValLossLoop(ValLoop):
    """``ValLoop`` (same arguments) whose metrics also hold the decode head's validation loss:
    each term (``loss_ce``, ``loss_lovasz``, ...) averaged over the batches and their sum
    ``val_loss`` -- logged with the metrics (``val/val_loss``, ``vis_data/scalars.json``), usable
    by ``EarlyStoppingHook(monitor='val_loss')`` and ``CheckpointHook(save_best='val_loss',
    rule='less')``. One forward pass per batch gives predictions and loss
    (:func:`predict_with_loss`). Deep-supervision and empty-branch terms are training-only and
    not part of it. Use as ``val_cfg = dict(type='ValLossLoop')``.
    """

    @torch.no_grad()
    def run_iter(self, idx: int, data_batch: Sequence[dict]) -> None:
        self.runner.call_hook('before_val_iter', batch_idx=idx, data_batch=data_batch)
        model = self.runner.model
        while is_model_wrapper(model) or isinstance(model, BaseTTAModel):
            model = model.module
        if not hasattr(model, 'postprocess_result'):
            raise TypeError(f'ValLossLoop needs an EncoderDecoder-like segmentor, got '
                            f'{type(model).__name__}')
        with autocast(enabled=self.fp16):
            data = model.data_preprocessor(data_batch, False)
            outputs, loss = predict_with_loss(model, data['inputs'], data['data_samples'])
        outputs, self.val_loss = _update_losses(list(outputs) + [BaseDataElement(loss=loss)],
                                                self.val_loss)
        self.evaluator.process(data_samples=outputs, data_batch=data_batch)
        self.runner.call_hook('after_val_iter', batch_idx=idx, data_batch=data_batch,
                              outputs=outputs)
