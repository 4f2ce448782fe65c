"""A salt checkpoint whose predictions are not all one class, without training: the model of a
config, freshly built (PyTorch's default initialisation), its score layers re-drawn and their bias
set so that about half of a synthetic section is salt, saved as mmengine saves checkpoints."""
import copy

import numpy as np
import torch
from mmengine.config import Config
from mmseg.registry import MODELS

from seg_ext.core.synthetic.tgs_salt import make_sample

from conftest import repo_path


def build_salt_model(config: str = 'unet_salt_demo.py', seed: int = 0):
    cfg = Config.fromfile(repo_path('configs', config))
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.backbone.norm_cfg = dict(type='BN', requires_grad=True)
    if 'norm_cfg' in model_cfg.decode_head:
        model_cfg.decode_head.norm_cfg = dict(type='BN', requires_grad=True)
    torch.manual_seed(seed)
    model = MODELS.build(model_cfg).eval()
    head = model.decode_head
    scores = [head.conv_seg] + list(getattr(head, 'score_skips', []))
    with torch.no_grad():
        for conv in scores:
            conv.weight.normal_(0, 3.0 / conv.weight[0].numel() ** 0.5)
        img = np.pad(make_sample(seed, seed)[0].astype(np.float32), ((13, 14), (13, 14)),
                     mode='reflect')
        x = torch.from_numpy((img - 128.0) / 40.0)[None, None]
        meta = dict(img_shape=(128, 128), pad_shape=(128, 128), ori_shape=(101, 101))
        logits = model.encode_decode(x, [meta])[0]
        margin = logits[0] if logits.shape[0] == 1 else logits[1] - logits[0]
        shift = margin.median()
        if logits.shape[0] == 1:
            head.conv_seg.bias -= shift
        else:
            head.conv_seg.bias[1] -= shift
    return model


def save_checkpoint(model, path: str) -> str:
    meta = dict(dataset_meta=dict(classes=('background', 'salt'),
                                  palette=[[0, 0, 0], [255, 160, 40]]))
    torch.save(dict(state_dict=model.state_dict(), meta=meta), path)
    return path
