"""ONNX export of seg_ext's mmseg models with what prediction needs baked into the graph.

The exported graph takes the images **as the config's loader reads them** (raw pixel values
0-255 as float32, N×C×H×W, grayscale or BGR) and returns **class probabilities at the input size**
(N×K×H×W), doing what mmseg's data preprocessor, test pipeline and ``postprocess_result`` do
around the network:

* BGR→RGB (per image of a pair) and ``(x - mean) / std`` of the model's data preprocessor;
* the test pipeline's ``ReflectPad`` (TGS Salt 101→128, centred) and, after the network, the crop
  of that padding (``img_padding_size``);
* the decode head's logits resized to the input (as ``predict_by_feat``), then sigmoid
  (one-channel heads: probabilities ``[1 - p, p]``, label ``p > threshold``) or softmax;
* change models: two inputs ``image_a`` / ``image_b`` (N×3×H×W each), stacked inside.

The batch axis is dynamic. Height and width are fixed at export: the decoders crop upsampled maps
to their skip connection's size with Python integers, which tracing records as constants (export
at your images' size with ``shape``). A sidecar ``<file>.json`` says what the caller must know
(:func:`sidecar`). mmdeploy's converter is not used: see the README ("Export").
"""
import copy
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...core.errors import ConfigError
from ..datasets.transforms.reflect_pad import centered_padding

PAD_MODES = {'reflect': 'reflect', 'edge': 'replicate', 'constant': 'constant'}
FORMAT = 'seg_ext-onnx-1'


def _test_pipeline(cfg) -> List[dict]:
    dataset = cfg.get('test_dataloader', {}).get('dataset', {})
    return list(dataset.get('pipeline', []))


def deploy_spec(cfg, model: nn.Module, shape: Optional[Sequence[int]] = None) -> dict:
    """What the exported graph does and expects, read from the config and the built model:
    input channels/names, normalisation, padding, activation, classes, threshold, H×W."""
    dp = model.data_preprocessor
    pipeline = _test_pipeline(cfg)
    loader = pipeline[0] if pipeline else {}
    num_images = int(getattr(dp, 'num_images', 1))
    mean = dp.mean.flatten().tolist() if getattr(dp, '_enable_normalize', False) else None
    std = dp.std.flatten().tolist() if mean is not None else None
    channels = len(mean) if mean is not None else (1 if loader.get('color_type') == 'grayscale'
                                                    else 3 * num_images)
    per_image = channels // num_images
    if num_images > 1:
        bgr_to_rgb = bool(getattr(dp, 'pair_bgr_to_rgb', False)) and per_image == 3
    else:
        bgr_to_rgb = bool(getattr(dp, 'channel_conversion', False)) and per_image == 3
    pad = next((t for t in pipeline if t.get('type') == 'ReflectPad'), None)
    if shape is None:
        raise ConfigError(cfg.filename or 'config', 'give the input height and width to export '
                          'at (--shape H W): the graph has a fixed spatial size')
    h, w = int(shape[0]), int(shape[1])
    padding = None
    if pad is not None:
        mode = pad.get('mode', 'reflect')
        if mode not in PAD_MODES:
            raise ConfigError(cfg.filename or 'config', f'ReflectPad mode {mode!r} has no ONNX '
                              f'equivalent (use one of {sorted(PAD_MODES)})')
        size = tuple(pad.get('size', (128, 128)))
        try:
            pads = list(centered_padding((h, w), size))
        except ValueError as e:
            raise ConfigError(cfg.filename or 'config', f'--shape {h} {w}: {e} (the test '
                              'pipeline\'s ReflectPad size)') from None
        padding = dict(mode=mode, size=list(size), value=float(pad.get('pad_val', 0)),
                       pads=pads)
    head = model.decode_head
    out_channels = int(getattr(head, 'out_channels', head.num_classes))
    classes, palette = dataset_classes(cfg)
    num_classes = 2 if out_channels == 1 else out_channels
    names = ['image_a', 'image_b'] if num_images == 2 else ['image']
    return dict(
        format=FORMAT, input_names=names, output_name='probs', num_images=num_images,
        channels_per_input=per_image if num_images > 1 else channels, height=h, width=w,
        input_dtype='float32', input_layout='NCHW', input_range=[0, 255],
        channel_order=('gray' if per_image == 1 else 'BGR') + ' (as read by OpenCV)',
        mean=mean, std=std, bgr_to_rgb=bgr_to_rgb, padding=padding,
        activation='sigmoid' if out_channels == 1 else 'softmax',
        threshold=float(head.threshold) if out_channels == 1 else None,
        num_classes=num_classes,
        classes=list(classes) if classes else [f'class_{i}' for i in range(num_classes)],
        palette=[list(c) for c in palette] if palette else None,
        color_type=loader.get('color_type', 'color'),
        dynamic_axes=dict(batch=True, height=False, width=False))


def dataset_classes(cfg) -> Tuple[Optional[List[str]], Optional[list]]:
    """Class names and palette of the config's test dataset type (its ``METAINFO``)."""
    from mmseg.registry import DATASETS
    kind = cfg.get('test_dataloader', {}).get('dataset', {}).get('type')
    cls = DATASETS.get(kind) if isinstance(kind, str) else None
    meta = getattr(cls, 'METAINFO', {}) if cls is not None else {}
    classes = meta.get('classes')
    return (list(classes) if classes else None), meta.get('palette')


class ScatterMaxUnpool2d(nn.Module):
    """``nn.MaxUnpool2d`` as a scatter, for export (SegNet's decoder): ONNX's ``MaxUnpool``
    takes indices over the whole tensor, PyTorch's pooling gives them per (N, C) plane, and the
    exporter has no ``max_unpool2d``. Same values (each window has one index)."""

    def forward(self, x: Tensor, indices: Tensor, output_size: Sequence[int]) -> Tensor:
        h, w = int(output_size[-2]), int(output_size[-1])
        flat = x.flatten(2)
        zeros = (flat[:, :, :1] * 0).expand(-1, -1, h * w)
        return zeros.scatter(2, indices.flatten(2), flat).unflatten(2, (h, w))


class FirstMaxPool2d(nn.Module):
    """``nn.MaxPool2d(2, 2, return_indices=True)`` written as a reshape and an ``ArgMax``, for
    export (SegNet's encoder). ONNX's ``MaxPool`` leaves the index of a tied window to the
    runtime, and a tie after ReLU or reflect padding is common; PyTorch takes the first maximum in
    row-major window order, as ``ArgMax`` (``select_last_index=0``) does. Same values and
    indices as PyTorch's pooling (``ceil_mode`` windows are padded with -inf)."""

    def __init__(self, ceil_mode: bool = False) -> None:
        super().__init__()
        self.ceil_mode = ceil_mode

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        c, h, w = (int(s) for s in x.shape[1:])
        ho, wo = ((h + 1) // 2, (w + 1) // 2) if self.ceil_mode else (h // 2, w // 2)
        x = x[:, :, :2 * ho, :2 * wo]
        if 2 * ho > h or 2 * wo > w:
            x = F.pad(x, (0, 2 * wo - x.shape[3], 0, 2 * ho - x.shape[2]), value=-float('inf'))
        windows = x.reshape(-1, c, ho, 2, wo, 2).permute(0, 1, 2, 4, 3, 5).reshape(
            -1, c, ho, wo, 4)
        k = windows.argmax(-1, keepdim=True)  # first maximum of (0,0) (0,1) (1,0) (1,1)
        values = windows.gather(-1, k).squeeze(-1)
        k = k.squeeze(-1)
        rows = torch.arange(ho, device=x.device).view(ho, 1) * 2 + torch.div(
            k, 2, rounding_mode='floor')
        cols = torch.arange(wo, device=x.device).view(1, wo) * 2 + k % 2
        return values, rows * w + cols


def exportable(model: nn.Module) -> nn.Module:
    """``model``, or a copy whose ``nn.MaxUnpool2d`` are :class:`ScatterMaxUnpool2d` and whose
    index-returning ``nn.MaxPool2d(2, 2)`` are :class:`FirstMaxPool2d`."""
    unpools = [n for n, m in model.named_modules() if isinstance(m, nn.MaxUnpool2d)]
    pools = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.MaxPool2d)
             and m.return_indices and _pair(m.kernel_size) == (2, 2)
             and _pair(m.stride) == (2, 2) and _pair(m.padding) == (0, 0)
             and _pair(m.dilation) == (1, 1)]
    if not unpools and not pools:
        return model
    model = copy.deepcopy(model)
    replacements = [(n, ScatterMaxUnpool2d()) for n in unpools]
    replacements += [(n, FirstMaxPool2d(m.ceil_mode)) for n, m in pools]
    for name, module in replacements:
        parent, _, child = name.rpartition('.')
        setattr(model.get_submodule(parent) if parent else model, child, module)
    return model


def _pair(v) -> Tuple[int, int]:
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


class DeployableSegmentor(nn.Module):
    """The mmseg segmentor wrapped to raw images in, probabilities out (see the module doc)."""

    def __init__(self, model: nn.Module, spec: dict) -> None:
        super().__init__()
        self.model = exportable(model)
        self.spec = spec
        n, c = spec['num_images'], spec['channels_per_input']
        order = list(range(n * c))
        if spec['bgr_to_rgb']:
            order = [i * c + j for i in range(n) for j in (2, 1, 0)]
        self.register_buffer('order', torch.tensor(order), persistent=False)
        mean = spec['mean'] or [0.0] * (n * c)
        std = spec['std'] or [1.0] * (n * c)
        self.register_buffer('mean', torch.tensor(mean).view(1, -1, 1, 1), persistent=False)
        self.register_buffer('std', torch.tensor(std).view(1, -1, 1, 1), persistent=False)

    def forward(self, *images: Tensor) -> Tensor:
        x = torch.cat(images, dim=1) if len(images) > 1 else images[0]
        if self.spec['bgr_to_rgb']:
            x = x.index_select(1, self.order)
        pad = self.spec['padding']
        if pad is not None:  # the test pipeline pads the raw image, before normalisation
            left, right, top, bottom = pad['pads']
            mode = PAD_MODES[pad['mode']]
            x = F.pad(x, (left, right, top, bottom), mode=mode,
                      **(dict(value=pad['value']) if mode == 'constant' else {}))
        x = (x - self.mean) / self.std
        head = self.model.decode_head
        logits = head(self.model.extract_feat(x))
        logits = F.interpolate(logits, size=x.shape[-2:], mode='bilinear',
                               align_corners=head.align_corners)
        if pad is not None:
            left, right, top, bottom = pad['pads']
            logits = logits[:, :, top:logits.shape[2] - bottom, left:logits.shape[3] - right]
        if self.spec['activation'] == 'sigmoid':
            p = logits.sigmoid()
            return torch.cat([1 - p, p], dim=1)
        return logits.softmax(dim=1)


def example_inputs(spec: dict, batch: int = 1, seed: int = 0) -> Tuple[Tensor, ...]:
    """Random raw-range inputs of the exported shape (one tensor per graph input)."""
    g = torch.Generator().manual_seed(seed)
    shape = (batch, spec['channels_per_input'], spec['height'], spec['width'])
    return tuple(torch.randint(0, 256, shape, generator=g).float() for _ in spec['input_names'])


def export_onnx(model: nn.Module, spec: dict, out_file: str, opset: int = 17) -> Dict[str, str]:
    """Write ``out_file`` (ONNX, dynamic batch) and its sidecar ``<out_file stem>.json``;
    returns both paths."""
    wrapper = DeployableSegmentor(model, spec).eval()
    names = spec['input_names']
    axes = {n: {0: 'batch'} for n in names + [spec['output_name']]}
    with torch.no_grad():
        torch.onnx.export(wrapper, example_inputs(spec, batch=2), out_file, dynamo=False,
                          input_names=names, output_names=[spec['output_name']],
                          dynamic_axes=axes, opset_version=opset, do_constant_folding=True)
    side = sidecar_path(out_file)
    with open(side, 'w') as f:
        json.dump(spec, f, indent=1)
    return dict(onnx=out_file, sidecar=side)


def sidecar_path(onnx_file: str) -> str:
    """``model.onnx`` → ``model.json``: what a caller must know about the graph (input names,
    layout, dtype, range, channel order, H×W, classes, activation, threshold, what is baked in)."""
    return osp.splitext(onnx_file)[0] + '.json'


def sidecar(onnx_file: str) -> dict:
    """Read the sidecar of ``onnx_file``."""
    with open(sidecar_path(onnx_file)) as f:
        return json.load(f)
