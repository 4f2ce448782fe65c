"""An mmseg checkpoint as a :class:`~seg_ext.mmseg.apis.predictors.Predictor`."""
import copy
from collections import defaultdict
from typing import List, Optional, Sequence

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate

from ...core.checkpoint_files import checkpoint_problem
from ...core.errors import DataError
from .runner_setup import check_checkpoint_matches, config_errors, load_config

ANNOTATION_LOADERS = ('LoadAnnotations', 'LoadBinaryAnnotations', 'LoadDepthAnnotation')


def inference_pipeline(pipeline: Sequence[dict]) -> List[dict]:
    """A test (or TTA) pipeline for loaded arrays: annotation loaders dropped and the image
    loader (the first step) run as ``LoadImageFromNDArray`` with its arguments (what mmseg's
    ``inference_model`` does)."""
    steps = [copy.deepcopy(dict(t)) for t in pipeline
             if dict(t).get('type') not in ANNOTATION_LOADERS]
    steps[0]['type'] = 'LoadImageFromNDArray'
    return steps


def loader_color_type(pipeline: Sequence[dict]) -> str:
    """``color_type`` of a pipeline's image loader (mmcv's default: ``'color'``)."""
    return dict(pipeline[0]).get('color_type', 'color')


class MMSegPredictor:
    """A config + checkpoint predicting class probabilities at each image's original size.

    The image goes through the config's test pipeline (``tta_pipeline`` with ``tta``) from its
    first transform on, and the segmentor's logits are cropped/resized back exactly as its
    ``postprocess_result`` does (:class:`~seg_ext.mmseg.models.SegProbTTAModel`), so labels
    equal mmseg's ``inference_model``. With ``tta``, probabilities are averaged over the flips of
    the config's ``tta_model`` when it is a ``SegProbTTAModel`` (else a horizontal flip).

    Raises:
        DataError: the checkpoint cannot be read or belongs to another model.
        ConfigError: the config cannot be built.
    """

    def __init__(self, config: str, checkpoint: str, device: str = 'cpu', tta: bool = False,
                 cfg_options: Optional[dict] = None) -> None:
        from mmengine.model import revert_sync_batchnorm
        from mmseg.apis import init_model

        import seg_ext.mmseg  # noqa: F401  (registers the plugin for configs without imports)

        from ..models.segmentors.prob_tta import SegProbTTAModel

        problem = checkpoint_problem(checkpoint)
        if problem is not None:
            raise DataError(checkpoint, f'cannot load this checkpoint: {problem}')
        cfg = load_config(config, cfg_options) if not isinstance(config, Config) else config
        self.cfg = cfg
        with config_errors(str(config)):
            model = init_model(cfg, checkpoint, device='cpu')
        check_checkpoint_matches(model, checkpoint)
        if not (device.startswith('cuda') and torch.distributed.is_initialized()):
            model = revert_sync_batchnorm(model)
        flips = ()
        if tta:
            tta_cfg = cfg.get('tta_model') or {}
            flips = tuple(tta_cfg.get('flips', ('horizontal', ))) \
                if tta_cfg.get('type') == 'SegProbTTAModel' else ('horizontal', )
        self.model = SegProbTTAModel(module=model, flips=flips).to(device).eval()
        pipeline = cfg.get('tta_pipeline') if tta and cfg.get('tta_pipeline') else \
            cfg.test_pipeline
        self.pipeline = Compose(inference_pipeline(pipeline))
        meta = getattr(model, 'dataset_meta', None) or {}
        self.num_classes = 2 if self.model.binary else int(model.decode_head.num_classes)
        classes = meta.get('classes') or [str(i) for i in range(self.num_classes)]
        self.classes = tuple(classes)
        self.palette = meta.get('palette')
        self.threshold = self.model.threshold if self.model.binary else None
        self.color_type = loader_color_type(cfg.test_pipeline)
        self.name = checkpoint
        self.device = device

    def predict_probs(self, images: List[np.ndarray]) -> List[np.ndarray]:
        """(num_classes, H, W) float32 probabilities of each image (images of one size are run
        as one batch)."""
        groups = defaultdict(list)
        for i, img in enumerate(images):
            groups[tuple(np.shape(img))].append(i)
        out: List[np.ndarray] = [None] * len(images)
        for members in groups.values():
            data = pseudo_collate([self.pipeline(dict(img=images[i])) for i in members])
            probs, _ = self.model.predict_probs(data)
            for i, p in zip(members, probs):
                out[i] = p.float().cpu().numpy()
        return out
