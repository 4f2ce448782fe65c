"""What ``tools/predict.py`` needs from a model: the :class:`Predictor` protocol.

A predictor maps loaded images to class probabilities at each image's original size. Everything
after that -- averaging several models, thresholds, small-component removal, CRF, label/probability
files, overlays, the Kaggle submission -- works on those probabilities alone, so any runtime can
plug in: the mmseg checkpoints (:mod:`seg_ext.mmseg.apis.mmseg_predictor`), an ONNX Runtime
session, or an ensemble of predictors (:class:`EnsemblePredictor`).
"""
from typing import List, Optional, Protocol, Sequence, Tuple, runtime_checkable

import numpy as np

from ...core.errors import ConfigError


@runtime_checkable
class Predictor(Protocol):
    """A model that predicts class probabilities.

    Attributes:
        classes: the class names, index = label value.
        num_classes: ``len(classes)``; a 1-channel sigmoid model is a 2-class predictor whose
            probabilities are ``[1 - p, p]``.
        threshold: the foreground threshold of a sigmoid (binary) model, ``None`` for a softmax
            model (labels are the arg-max).
        name: what to call the model in messages (its checkpoint file).
        color_type: how its input images are read from files: ``'grayscale'`` (H×W),
            ``'color'`` (H×W×3 BGR) or ``'unchanged'``.
    """

    classes: Tuple[str, ...]
    num_classes: int
    threshold: Optional[float]
    name: str
    color_type: str

    def predict_probs(self, images: List[np.ndarray]) -> List[np.ndarray]:
        """``images`` (H×W or H×W×K arrays as the model's loader reads them) -> one
        ``(num_classes, H, W)`` float32 probability map per image, at the image's own size."""


class EnsemblePredictor:
    """The average of several predictors' probabilities (the k-fold ensemble).

    Members may be different models as long as they predict the same number of classes; the
    class names, the threshold and the image reading (``color_type``) are the first member's.

    Raises:
        ConfigError: a member predicts another number of classes (names it and the first).
    """

    def __init__(self, members: Sequence[Predictor]) -> None:
        if not members:
            raise ValueError('an ensemble needs at least one predictor')
        first = members[0]
        for m in members[1:]:
            if m.num_classes != first.num_classes:
                raise ConfigError(m.name, f'predicts {m.num_classes} classes but {first.name} '
                                  f'predicts {first.num_classes}: an ensemble averages the '
                                  'probabilities of models with the same classes')
        self.members = list(members)
        self.classes = tuple(first.classes)
        self.num_classes = first.num_classes
        self.threshold = first.threshold
        self.color_type = first.color_type
        self.name = ' + '.join(m.name for m in self.members)

    def predict_probs(self, images: List[np.ndarray]) -> List[np.ndarray]:
        total = None
        for m in self.members:
            probs = m.predict_probs(images)
            total = probs if total is None else [t + p for t, p in zip(total, probs)]
        n = np.float32(len(self.members))
        return [(t / n).astype(np.float32) for t in total]


__all__ = ['EnsemblePredictor', 'Predictor']
