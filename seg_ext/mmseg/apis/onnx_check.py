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
from .onnx_predictor import OnnxPredictor, labels_from_probs
from .runner_setup import load_config

__all__ = ['load_config', 'load_model', 'build_test_dataset', 'loaded_image', 'mmseg_probs',
           'compare_with_mmseg']


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
