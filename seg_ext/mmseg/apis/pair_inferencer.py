"""Change detection on new image pairs: (A, B) paths or arrays -> change map + probabilities."""
import os.path as osp
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch

from ...core.errors import ConfigError, DataError, MissingDataError
from ...core.tiling import predict_tiled

ImageLike = Union[str, np.ndarray]
Pair = Tuple[ImageLike, ImageLike]

PAIR_LOADER = 'LoadBiTemporalImages'


@dataclass
class ChangePrediction:
    """One pair's result: ``change_map`` (uint8 ``H×W`` labels, 1 = change for a binary model),
    ``probs`` (float32 ``K×H×W`` class probabilities) and ``change_prob`` (float32 ``H×W``, the
    probability of ``change_class``)."""
    change_map: np.ndarray
    probs: np.ndarray
    change_prob: np.ndarray


def _is_annotation_loader(step: dict) -> bool:
    name = step['type'] if isinstance(step['type'], str) else step['type'].__name__
    return 'Annotation' in name


class PairInferencer:
    """Predict change between two acquisitions with a change-detection config and checkpoint.

    The pair is read and preprocessed exactly as the config's ``test_pipeline`` does for its test
    split (``LoadBiTemporalImages`` -- with its checks -- then every step but the annotation
    loaders), and runs through the model's ``test_step`` (its data preprocessor, ``test_cfg`` and
    post-processing to the original size). With ``tile``, large pairs are predicted window by
    window and blended (:func:`seg_ext.core.tiling.predict_tiled`), so memory is bounded by the
    tile and not by the image.

    Implements the predictor protocol of ``tools/predict.py``
    (``seg_ext.mmseg.apis.predictors.Predictor``): ``classes``, ``num_classes`` (2 for a
    1-channel sigmoid head, probabilities ``[1 - p, p]``), ``threshold`` (``None`` for softmax),
    ``name`` and :meth:`predict_probs` (one float32 ``K×H×W`` array per ``(A, B)`` pair).

    Args:
        config: a change-detection config (path or ``Config``) whose test pipeline starts with
            ``LoadBiTemporalImages``.
        checkpoint: weights to load (``None``: the config's initialisation).
        device: ``'cpu'``, ``'cuda:0'``, ...
        cfg_options: overrides, as ``--cfg-options``.
        change_class: the class whose probability is :attr:`ChangePrediction.change_prob`.
    """

    def __init__(self, config, checkpoint: Optional[str] = None, device: str = 'cpu',
                 cfg_options: Optional[dict] = None, change_class: int = 1) -> None:
        from mmengine.config import Config
        from mmengine.dataset import Compose
        from mmengine.model.utils import revert_sync_batchnorm
        from mmseg.apis import init_model
        from mmseg.utils import register_all_modules

        import seg_ext.mmseg  # noqa: F401  (registers LoadBiTemporalImages & co)

        from .runner_setup import check_checkpoint_matches, config_errors, load_config
        register_all_modules(init_default_scope=True)
        name = config if isinstance(config, str) else getattr(config, 'filename', '<config>')
        cfg = load_config(config, cfg_options) if isinstance(config, str) else \
            Config(config.to_dict() if hasattr(config, 'to_dict') else dict(config))
        pipeline = list(cfg.get('test_pipeline') or cfg.test_dataloader.dataset.pipeline)
        first = pipeline[0]['type'] if pipeline else None
        first = first if isinstance(first, str) or first is None else first.__name__
        if first != PAIR_LOADER:
            raise ConfigError(name, f'not a change-detection config: its test pipeline starts '
                              f'with {first}, not {PAIR_LOADER}')
        if checkpoint is not None and not osp.isfile(checkpoint):
            raise MissingDataError(checkpoint, 'checkpoint not found')
        with config_errors(name):
            self.model = init_model(cfg, None, device=device)
            self.loader = Compose([pipeline[0]])
            self.transforms = Compose([s for s in pipeline[1:] if not _is_annotation_loader(s)])
        if checkpoint is not None:
            check_checkpoint_matches(self.model, checkpoint)
            from mmengine.runner import load_checkpoint
            ckpt = load_checkpoint(self.model, checkpoint, map_location='cpu')
            meta = ckpt.get('meta', {}) if isinstance(ckpt, dict) else {}
            if 'dataset_meta' in meta:
                self.model.dataset_meta = meta['dataset_meta']
        if str(device) == 'cpu':
            self.model = revert_sync_batchnorm(self.model)
        self.model.eval()
        self.cfg = cfg
        self.device = device
        head = self.model.decode_head
        self.sigmoid = head.out_channels == 1
        self.threshold = float(head.threshold) if self.sigmoid else None
        self.num_classes = 2 if self.sigmoid else int(head.out_channels)
        if not 0 <= change_class < self.num_classes:
            raise ConfigError(name, f'change_class {change_class} is not one of the model\'s '
                              f'{self.num_classes} classes')
        self.change_class = change_class
        meta = getattr(self.model, 'dataset_meta', None) or {}
        self.classes = tuple(meta.get('classes') or (
            ('unchanged', 'changed') if self.num_classes == 2 else
            [str(i) for i in range(self.num_classes)]))
        self.name = checkpoint or name

    # -- preprocessing -------------------------------------------------------------------------
    def _read(self, a: ImageLike, b: ImageLike) -> dict:
        """The loader's results for one pair: read (and checked) from paths, or stacked from
        arrays."""
        if isinstance(a, str) and isinstance(b, str):
            for path in (a, b):
                if not osp.isfile(path):
                    raise MissingDataError(path, 'image not found' + (
                        f' (partner of {a})' if path == b else ''))
            return self.loader(dict(img_path=a, img_path2=b))
        if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
            if a.shape != b.shape:
                raise DataError('<array B>', f'image B is {"x".join(map(str, b.shape))} but '
                                f'image A is {"x".join(map(str, a.shape))}')
            if a.ndim == 2:
                a, b = a[..., None], b[..., None]
            return dict(img_path=None, img_path2=None, img=np.concatenate([a, b], axis=2),
                        img_shape=a.shape[:2], ori_shape=a.shape[:2], num_images=2)
        raise TypeError('a pair is two paths or two arrays, got '
                        f'{type(a).__name__} and {type(b).__name__}')

    def _load(self, pair: Pair) -> dict:
        """The packed model input of one pair (the test pipeline without annotations)."""
        if len(pair) != 2:
            raise ValueError(f'a pair is (A, B), got {len(pair)} items')
        return self.transforms(self._read(*pair))

    @torch.no_grad()
    def _probs(self, packed: List[dict]) -> List[np.ndarray]:
        data = dict(inputs=[p['inputs'] for p in packed],
                    data_samples=[p['data_samples'] for p in packed])
        samples = self.model.test_step(data)
        out = []
        for s in samples:
            logits = s.seg_logits.data.float()
            if self.sigmoid:  # mmseg's post-processing already applied the sigmoid
                p = logits[0]
                probs = torch.stack([1 - p, p])
            else:
                probs = logits.softmax(0)
            out.append(probs.cpu().numpy().astype(np.float32))
        return out

    # -- the predictor protocol ---------------------------------------------------------------
    def predict_probs(self, images: Sequence[Pair]) -> List[np.ndarray]:
        """Float32 ``K×H×W`` probabilities of each ``(A, B)`` pair (paths or BGR arrays, as
        ``cv2.imread`` gives them), at the pair's size."""
        return self._probs([self._load(pair) for pair in images])

    def labels(self, probs: np.ndarray) -> np.ndarray:
        """The model's decision rule: ``p(change) > threshold`` for a sigmoid head, else argmax."""
        if self.sigmoid:
            return (probs[1] > self.threshold).astype(np.uint8)
        return probs.argmax(0).astype(np.uint8)

    def __call__(self, a: ImageLike, b: ImageLike, tile: Union[None, int, Sequence[int]] = None,
                 overlap: int = 0, guard: Optional[int] = None,
                 batch_size: int = 1) -> ChangePrediction:
        """Predict one pair, whole or (with ``tile``) window by window with ``overlap``."""
        if tile is None:
            probs = self.predict_probs([(a, b)])[0]
        else:
            src = a if isinstance(a, str) else '<array A>'
            if isinstance(a, str):  # read (and check) once, then tile the arrays
                a, b = np.split(self._read(a, b)['img'], 2, axis=2)
            probs = predict_tiled(self.predict_probs, (a, b), tile, overlap, guard=guard,
                                  batch_size=batch_size, source=src)
        return ChangePrediction(self.labels(probs), probs, probs[self.change_class])
