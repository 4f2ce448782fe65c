"""Batched Detectron2 prediction on image files: ``DefaultPredictor``'s preprocessing on a batch.

:class:`BatchPredictor` loads ``MODEL.WEIGHTS`` completely or not at all (a missing, truncated
or foreign checkpoint is a :class:`~seg_ext.core.errors.DataError` naming the file), resizes
each image as ``DefaultPredictor`` does (``ResizeShortestEdge(MIN_SIZE_TEST, MAX_SIZE_TEST)``,
``INPUT.FORMAT``) and runs the model on a list of them at once: for one image its output is
``DefaultPredictor``'s. :func:`list_inputs` expands files and folders into sorted image paths.
"""
import os
import os.path as osp
from typing import Iterator, List, Sequence, Tuple

import numpy as np
import torch
from detectron2.data import transforms as T
from detectron2.modeling import build_model

from ..core.errors import DataError, MissingDataError
from ..core.image_io import read_image, to_bgr
from .checkpoint import ResumableCheckpointer

IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp')


def list_inputs(paths: Sequence[str]) -> List[str]:
    """Image files from files and folders (a folder's images sorted by name, not recursive);
    a path that does not exist or a folder without images is a :class:`DataError`."""
    out = []
    for path in paths:
        if osp.isdir(path):
            found = sorted(osp.join(path, n) for n in os.listdir(path)
                           if n.lower().endswith(IMAGE_EXTENSIONS))
            if not found:
                raise DataError(path, f'folder has no images ({", ".join(IMAGE_EXTENSIONS)})')
            out += found
        elif osp.isfile(path):
            out.append(path)
        else:
            raise MissingDataError(path, 'input image or folder not found')
    return out


def read_bgr(path: str) -> np.ndarray:
    """An image file as H×W×3 uint8 BGR (gray, 16-bit and alpha images converted); an unreadable
    file is a :class:`DataError` naming it."""
    return to_bgr(read_image(path))


def load_weights(model: torch.nn.Module, weights: str) -> None:
    """Load ``weights`` into ``model``: every parameter must be there with its shape.

    Raises:
        MissingDataError: no such file (or ``MODEL.WEIGHTS`` empty).
        DataError: a file ``torch.load`` cannot read (truncated, not a checkpoint) or one that
            does not fit the model.
    """
    if not weights:
        raise MissingDataError('MODEL.WEIGHTS', 'no weights given (MODEL.WEIGHTS is empty): '
                               'pass the trained model_final.pth')
    if '://' not in weights and not osp.isfile(weights):
        raise MissingDataError(weights, 'weights file not found')
    checkpointer = ResumableCheckpointer(model, require_complete=True)
    try:
        checkpointer.load(weights, checkpointables=[])
    except DataError:
        raise
    except (RuntimeError, EOFError, OSError, ValueError, KeyError) as e:
        raise DataError(weights, f'cannot be read as a checkpoint (truncated or damaged?): '
                        f'{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ""}'
                        ) from e
    except Exception as e:  # pickle.UnpicklingError and friends from a damaged file
        if type(e).__module__ in ('pickle', '_pickle', 'zipfile'):
            raise DataError(weights, f'cannot be read as a checkpoint: {e}') from e
        raise


class BatchPredictor:
    """``DefaultPredictor`` for lists of images (same model, weights, resizing and format).

    Args:
        cfg: a Detectron2 config (``MODEL.WEIGHTS``, ``MODEL.DEVICE``, ``INPUT.*_TEST``).
    """

    def __init__(self, cfg) -> None:
        self.cfg = cfg.clone()
        self.model = build_model(self.cfg)
        self.model.eval()
        load_weights(self.model, cfg.MODEL.WEIGHTS)
        self.aug = T.ResizeShortestEdge([cfg.INPUT.MIN_SIZE_TEST, cfg.INPUT.MIN_SIZE_TEST],
                                        cfg.INPUT.MAX_SIZE_TEST)
        self.input_format = cfg.INPUT.FORMAT
        if self.input_format not in ('RGB', 'BGR'):
            raise ValueError(f'INPUT.FORMAT must be RGB or BGR, not {self.input_format!r}')

    def model_input(self, bgr: np.ndarray) -> dict:
        """The model's input dict for one BGR image (as ``DefaultPredictor.__call__``)."""
        image = bgr[:, :, ::-1] if self.input_format == 'RGB' else bgr
        height, width = image.shape[:2]
        image = self.aug.get_transform(image).apply_image(image)
        return dict(image=torch.as_tensor(image.astype('float32').transpose(2, 0, 1)),
                    height=height, width=width)

    @torch.no_grad()
    def __call__(self, images: Sequence[np.ndarray]) -> List[dict]:
        """Predictions (``instances`` / ``sem_seg`` / ``panoptic_seg``) for BGR images."""
        return self.model([self.model_input(img) for img in images])


def batches(paths: Sequence[str], batch_size: int) -> Iterator[Tuple[List[str], List[np.ndarray]]]:
    """``(paths, BGR images)`` in groups of ``batch_size``, decoded as they are needed."""
    if batch_size < 1:
        raise ValueError(f'batch size must be >= 1, got {batch_size}')
    for i in range(0, len(paths), batch_size):
        chunk = list(paths[i:i + batch_size])
        yield chunk, [read_bgr(p) for p in chunk]
