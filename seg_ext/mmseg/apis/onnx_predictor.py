"""An ONNX Runtime session behind the predictor protocol of ``tools/predict.py``.

:class:`OnnxPredictor` runs a graph written by :func:`seg_ext.mmseg.apis.export.export_onnx`
(raw images in, probabilities out) with the facts of its sidecar json: ``classes``,
``num_classes``, ``threshold`` and ``predict_probs(images) -> [K×H×W float32]`` at each image's
own size, like the checkpoint predictor (the session needs ``onnxruntime``, no torch).
"""
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np

from ...core.errors import DataError, MissingDataError
from .export import FORMAT, sidecar, sidecar_path


def channels_first(img: np.ndarray) -> np.ndarray:
    """A loaded image, H×W or H×W×C, as C×H×W (the graph's layout)."""
    return img[None] if img.ndim == 2 else img.transpose(2, 0, 1)


def labels_from_probs(probs: np.ndarray, threshold: Optional[float]) -> np.ndarray:
    """The label map of K×H×W probabilities: ``p[1] > threshold`` for a sigmoid (binary)
    model, else the arg-max (mmseg's ``postprocess_result``)."""
    if threshold is not None:
        return (probs[1] > threshold).astype(np.uint8)
    return probs.argmax(axis=0).astype(np.uint8)


class OnnxPredictor:
    """Class probabilities from an exported ``.onnx`` (CPU by default).

    Args:
        onnx_file: the graph; its sidecar ``<stem>.json`` must lie beside it.
        providers: onnxruntime execution providers (default ``['CPUExecutionProvider']``).
        batch_size: images per session run.
        threads: onnxruntime intra-op threads (0: its default).

    Raises:
        MissingDataError: no such file, or no sidecar.
        DataError: a file onnxruntime cannot load, or a sidecar of another format.
    """

    def __init__(self, onnx_file: str, providers: Optional[Sequence[str]] = None,
                 batch_size: int = 8, threads: int = 0) -> None:
        import onnxruntime as ort
        if not osp.isfile(onnx_file):
            raise MissingDataError(onnx_file, 'ONNX file not found')
        if not osp.isfile(sidecar_path(onnx_file)):
            raise MissingDataError(sidecar_path(onnx_file), 'the sidecar json of '
                                   f'{osp.basename(onnx_file)} is missing (export writes it '
                                   'beside the .onnx: tools/deployment/pytorch2onnx.py)')
        spec = sidecar(onnx_file)
        if spec.get('format') != FORMAT:
            raise DataError(sidecar_path(onnx_file), f'not a {FORMAT} sidecar')
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        try:
            self.session = ort.InferenceSession(
                onnx_file, options, providers=list(providers or ['CPUExecutionProvider']))
        except Exception as e:  # onnxruntime raises its own Fail/InvalidProtobuf types
            raise DataError(onnx_file, f'onnxruntime cannot load it: {str(e).splitlines()[0]}'
                            ) from e
        self.spec = spec
        self.name = onnx_file
        self.classes = tuple(spec['classes'])
        self.num_classes = int(spec['num_classes'])
        self.threshold = spec['threshold']
        self.palette = spec.get('palette')
        # how tools/predict.py reads images for it (the config's loader at export)
        self.color_type = spec.get('color_type') or (
            'grayscale' if spec['channels_per_input'] == 1 else 'color')
        self.batch_size = batch_size

    def _input(self, img: np.ndarray) -> np.ndarray:
        """One loaded image (H×W or H×W×C) as C×H×W float32, checked against the graph."""
        chw = channels_first(img)
        s = self.spec
        want = (s['channels_per_input'] * s['num_images'], s['height'], s['width'])
        if chw.shape != want:
            raise DataError(self.name, f'got an image of {chw.shape[1]}x{chw.shape[2]} with '
                            f'{chw.shape[0]} channel(s); this graph takes {want[1]}x{want[2]} '
                            f'with {want[0]} (export it again with --shape H W)')
        return chw.astype(np.float32)

    def run(self, batch: np.ndarray) -> np.ndarray:
        """N×C×H×W float32 (the images stacked as loaded) → N×K×H×W probabilities."""
        c = self.spec['channels_per_input']
        feeds = {name: np.ascontiguousarray(batch[:, i * c:(i + 1) * c])
                 for i, name in enumerate(self.spec['input_names'])}
        return self.session.run([self.spec['output_name']], feeds)[0]

    def predict_probs(self, images: List[np.ndarray]) -> List[np.ndarray]:
        """``(num_classes, H, W)`` float32 probabilities per loaded image."""
        out = []
        for i in range(0, len(images), self.batch_size):
            batch = np.stack([self._input(im) for im in images[i:i + self.batch_size]])
            out += [p.astype(np.float32) for p in self.run(batch)]
        return out

    def predict_labels(self, images: List[np.ndarray]) -> List[np.ndarray]:
        """Label maps (uint8 H×W) of the images."""
        return [labels_from_probs(p, self.threshold) for p in self.predict_probs(images)]
