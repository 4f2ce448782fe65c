"""Model size, FLOPs and inference throughput, measured the same way for every config."""
import time
from typing import Dict, List, Sequence, Tuple

import torch
from mmengine.analysis import get_model_complexity_info
from mmengine.config import Config
from mmengine.model.utils import revert_sync_batchnorm
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample


def build_eval_model(cfg: Config, device: str = 'cpu') -> torch.nn.Module:
    """Build ``cfg.model`` (SyncBN reverted, auxiliary heads dropped) in eval mode on ``device``."""
    model = MODELS.build(cfg.model)
    if getattr(model, 'auxiliary_head', None) is not None:
        model.auxiliary_head = None
    # weights are left as built: speed and FLOPs do not depend on them, and init_weights could
    # try to download pretrained checkpoints
    return revert_sync_batchnorm(model).to(device).eval()


def complexity(model: torch.nn.Module, input_shape: Tuple[int, int, int]) -> Dict[str, float]:
    """Parameters and FLOPs of one forward pass at ``input_shape`` (C, H, W).

    FLOPs follow mmengine's (fvcore's) convention: one multiply-add counts as one FLOP.
    """
    device = next(model.parameters()).device
    x = torch.rand(1, *input_shape, device=device)
    with torch.no_grad():
        out = get_model_complexity_info(model, inputs=(x, ), show_table=False, show_arch=False)
    return dict(params=float(out['params']), flops=float(out['flops']))


def predict_batch(batch_size: int, input_shape: Sequence[int], ori_shape: Sequence[int] = None,
                  device='cpu') -> Tuple[torch.Tensor, List[SegDataSample]]:
    """Random inputs ``(batch_size, *input_shape)`` and the data samples ``model.predict`` needs.

    ``ori_shape`` (default: the input size) is the size the predictions are cropped back to: the
    padding to the input size is recorded as ``img_padding_size``, as ``ReflectPad`` does.
    """
    shape = tuple(input_shape[1:])
    ori_shape = tuple(ori_shape or shape)
    pad = [0, shape[1] - ori_shape[1], 0, shape[0] - ori_shape[0]]
    samples = [SegDataSample(metainfo=dict(img_shape=shape, pad_shape=shape, ori_shape=ori_shape,
                                           img_padding_size=pad))
               for _ in range(batch_size)]
    return torch.rand(batch_size, *input_shape, device=device), samples


def inference_throughput(model: torch.nn.Module, input_shape: Tuple[int, int, int],
                         batch_size: int = 16, iters: int = 5, warmup: int = 2,
                         ori_shape: Sequence[int] = None) -> Dict[str, float]:
    """Images per second of ``model.predict`` (logits, unpadding, resize, threshold/argmax).

    Random inputs of ``input_shape``; ``ori_shape`` (default: the input size) is the size the
    predictions are cropped back to. Returns ``img_per_s`` and ``ms_per_img`` (median batch).
    """
    device = next(model.parameters()).device
    x, samples = predict_batch(batch_size, input_shape, ori_shape, device)
    times = []
    with torch.no_grad():
        for i in range(warmup + iters):
            if device.type == 'cuda':
                torch.cuda.synchronize(device)
            t0 = time.perf_counter()
            model.predict(x, samples)
            if device.type == 'cuda':
                torch.cuda.synchronize(device)
            if i >= warmup:
                times.append(time.perf_counter() - t0)
    median = sorted(times)[len(times) // 2]
    return dict(img_per_s=batch_size / median, ms_per_img=median / batch_size * 1000)
