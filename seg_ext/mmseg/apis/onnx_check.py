"""Load a config + checkpoint for export, and check an exported graph against mmseg itself.

:func:`compare_with_mmseg` runs the config's test dataset through mmseg's own test path
(``dataset[i]`` → ``model.test_step``: data preprocessor, network, ``postprocess_result`` with
the padding crop) and the same images, as the loader reads them, through ONNX Runtime; it reports
the largest absolute probability difference and whether the label maps are identical.
"""
from typing import Dict, List, Optional

import numpy as np
import torch
from torch import nn

from ...core.errors import ConfigError, DataError, MissingDataError
from .onnx_predictor import OnnxPredictor, channels_first, labels_from_probs
from .runner_setup import load_config

__all__ = ['load_config', 'load_model', 'build_test_dataset', 'loaded_image', 'mmseg_probs',
           'compare_with_mmseg', 'unpooling_ties']


def load_model(cfg, checkpoint: Optional[str] = None) -> nn.Module:
    """The config's model on CPU in eval mode, SyncBN reverted to BN, with every parameter of
    ``checkpoint`` (strict: a checkpoint of another model is a :class:`DataError`)."""
    import os.path as osp

    from mmengine.model import revert_sync_batchnorm
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    try:
        model = MODELS.build(cfg.model)
    except Exception as e:
        raise ConfigError(cfg.filename or 'config', f'model cannot be built: {e}') from e
    model = revert_sync_batchnorm(model)
    if checkpoint:
        if not osp.isfile(checkpoint):
            raise MissingDataError(checkpoint, 'checkpoint not found')
        try:
            load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
        except (RuntimeError, KeyError, EOFError, ValueError) as e:
            raise DataError(checkpoint, f'cannot be loaded into this model: '
                            f'{str(e).splitlines()[0]}') from e
    model.cfg = cfg
    return model.eval()


def build_test_dataset(cfg, data_root: Optional[str] = None):
    """The config's test dataset (``data_root`` replaced when given)."""
    from mmseg.registry import DATASETS
    ds_cfg = cfg.test_dataloader.dataset.copy()
    if data_root:
        ds_cfg['data_root'] = data_root
    return DATASETS.build(ds_cfg)


def loaded_image(dataset, index: int) -> np.ndarray:
    """Image ``index`` as the test pipeline's loader (its first step) reads it."""
    info = dataset.get_data_info(index)
    return dataset.pipeline.transforms[0](dict(info))['img']


@torch.no_grad()
def mmseg_probs(model: nn.Module, dataset, indices: List[int]):
    """``[(probabilities K×H×W, mmseg's label map)]`` of the samples ``indices`` through one
    ``model.test_step`` (what ``tools/test.py`` runs)."""
    from mmengine.dataset import pseudo_collate
    out = []
    for sample in model.test_step(pseudo_collate([dataset[i] for i in indices])):
        scores = sample.seg_logits.data.float()
        # a one-channel head's seg_logits are already sigmoid probabilities (postprocess_result)
        probs = torch.cat([1 - scores, scores]) if scores.shape[0] == 1 else scores.softmax(0)
        out.append((probs.numpy(), sample.pred_sem_seg.data[0].numpy().astype(np.uint8)))
    return out


def compare_with_mmseg(onnx_file: str, model: nn.Module, dataset,
                       indices: Optional[List[int]] = None,
                       check_batch: bool = True) -> Dict[str, object]:
    """ONNX Runtime vs mmseg on the dataset's samples (all by default): ``max_abs_diff`` of the
    probabilities, ``labels_equal`` (count), ``n``, and with ``check_batch``
    ``batch_max_abs_diff`` (one run on all images vs one run per image)."""
    predictor = OnnxPredictor(onnx_file)
    indices = list(range(len(dataset))) if indices is None else indices
    images = [loaded_image(dataset, i) for i in indices]
    onnx_probs = predictor.predict_probs(images)
    worst, equal = 0.0, 0
    for (ref, ref_labels), p in zip(mmseg_probs(model, dataset, indices), onnx_probs):
        if ref.shape != p.shape:
            raise DataError(onnx_file, f'probabilities of shape {p.shape}, mmseg gives '
                            f'{ref.shape}')
        worst = max(worst, float(np.abs(ref - p).max()))
        equal += int(np.array_equal(labels_from_probs(p, predictor.threshold), ref_labels))
    result = dict(n=len(indices), max_abs_diff=worst, labels_equal=equal)
    if check_batch:
        predictor.batch_size = 1
        single = predictor.predict_probs(images)
        result['batch_max_abs_diff'] = max(float(np.abs(a - b).max())
                                           for a, b in zip(single, onnx_probs))
    return result


@torch.no_grad()
def unpooling_ties(model: nn.Module, spec: dict, dataset, indices: List[int],
                   opset: int = 17) -> Optional[Dict[str, float]]:
    """Why a max-unpooling model's graph (SegNet) and PyTorch differ, if they do.

    SegNet's decoder puts each value back where its encoder's 2×2 max-pooling found the maximum.
    Where two values of a window are (nearly) equal, onnxruntime's float rounding -- its
    convolutions sum in another order than PyTorch's -- can make the other one the larger, and
    the decoder then differs around that window: a discontinuity of the model, not an error of
    the graph. This exports a copy of the graph that also returns every pooling's indices, runs
    the dataset's samples ``indices`` (the images as the loader reads them) through onnxruntime
    and PyTorch and
    reports ``windows`` (pooling windows compared), ``flips`` (windows where the two chose
    differently), ``max_rel_gap`` (over the flips, the largest ``(a - b) / |a|`` of PyTorch's
    values at the two choices: how near the tie was), ``max_abs_diff`` (probabilities, as
    exported) and ``max_abs_diff_same_choice`` (PyTorch made to take onnxruntime's choices: what
    is left when the ties are decided alike). ``None`` for models without index pooling or with
    a pair input.
    """
    import os
    import tempfile

    import onnxruntime as ort

    from .export import DeployableSegmentor, FirstMaxPool2d
    wrapper = DeployableSegmentor(model, spec).eval()
    pools = [m for m in wrapper.model.modules() if isinstance(m, FirstMaxPool2d)]
    if not pools or spec['num_images'] != 1:
        return None
    seen: List[tuple] = []      # (pool input, indices) of every pooling, in call order
    forced: List[torch.Tensor] = []

    def record(module, args, out):
        if forced:
            out = (out[0], forced[len(seen)])
        seen.append((args[0], out[1]))
        return out

    class WithIndices(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.wrapper = wrapper

        def forward(self, x):
            seen.clear()
            probs = self.wrapper(x)
            return (probs, ) + tuple(idx for _, idx in seen)

    handles = [p.register_forward_hook(record) for p in pools]
    try:
        images = np.stack([channels_first(loaded_image(dataset, i)) for i in indices])
        x = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32))
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, 'with_indices.onnx')
            torch.onnx.export(WithIndices().eval(), (x, ), path, dynamo=False,
                              input_names=['image'], opset_version=opset)
            session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
            outs = session.run(None, {'image': x.numpy()})
        probs = WithIndices()(x)[0]
        torch_pools = list(seen)
        forced.extend(torch.from_numpy(o) for o in outs[1:])
        probs_same_choice = WithIndices()(x)[0]
    finally:
        for h in handles:
            h.remove()
    windows = flips = 0
    max_gap = 0.0
    for (values, idx), ort_idx in zip(torch_pools, outs[1:]):
        ort_idx = torch.from_numpy(ort_idx)
        windows += idx.numel()
        differ = idx != ort_idx
        flips += int(differ.sum())
        if differ.any():
            flat = values.flatten(2)
            a = flat.gather(2, idx.flatten(2))[differ.flatten(2)]
            b = flat.gather(2, ort_idx.flatten(2))[differ.flatten(2)]
            max_gap = max(max_gap, float(((a - b) / a.abs().clamp(min=1e-30)).abs().max()))
    return dict(windows=windows, flips=flips, max_rel_gap=max_gap,
                max_abs_diff=float(np.abs(probs.numpy() - outs[0]).max()),
                max_abs_diff_same_choice=float(np.abs(probs_same_choice.numpy() - outs[0]).max()))
