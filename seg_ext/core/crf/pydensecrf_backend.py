"""The pydensecrf2 backend (Krähenbühl's C++ permutohedral implementation), one image at a time."""
from typing import Optional

import numpy as np


def pydensecrf_available() -> bool:
    try:
        import pydensecrf.densecrf  # noqa: F401
    except ImportError:
        return False
    return True


def pydensecrf_inference(probs: np.ndarray, image: Optional[np.ndarray], iterations: int,
                         gaussian_sxy: float, gaussian_compat, bilateral_sxy: float,
                         bilateral_srgb: float, bilateral_compat, clip: float = 1e-5
                         ) -> np.ndarray:
    """Dense CRF with pydensecrf on one image.

    Args:
        probs: (C, H, W) class probabilities.
        image: (H, W, K) intensities (any K: gray, RGB, A|B of a pair), or None for no bilateral
            kernel.
        gaussian_compat / bilateral_compat: a Potts weight (float) or a (C, C) matrix; ``0`` or
            ``None`` drops the kernel.

    Returns:
        (C, H, W) float32 marginals Q.
    """
    try:
        import pydensecrf.densecrf as dcrf
        from pydensecrf.utils import create_pairwise_bilateral, create_pairwise_gaussian
    except ImportError as e:  # pragma: no cover - tested through pydensecrf_available
        raise ImportError("the 'pydensecrf' CRF backend needs pydensecrf2: pip install "
                          "'seg_ext[crf]' (or use backend='torch')") from e
    c, h, w = probs.shape
    crf = dcrf.DenseCRF(h * w, c)
    unary = -np.log(np.clip(probs.reshape(c, -1), clip, 1.0)).astype(np.float32)
    crf.setUnaryEnergy(np.ascontiguousarray(unary))

    def compat(v):
        return np.ascontiguousarray(np.asarray(v, np.float32)) if np.ndim(v) else float(v)

    if gaussian_compat is not None and np.any(np.asarray(gaussian_compat) != 0):
        feats = create_pairwise_gaussian(sdims=(gaussian_sxy, gaussian_sxy), shape=(h, w))
        crf.addPairwiseEnergy(np.ascontiguousarray(feats, np.float32), compat=compat(
            gaussian_compat))
    if image is not None and bilateral_compat is not None and \
            np.any(np.asarray(bilateral_compat) != 0):
        img = image if image.ndim == 3 else image[..., None]
        feats = create_pairwise_bilateral(sdims=(bilateral_sxy, bilateral_sxy),
                                          schan=(bilateral_srgb, ) * img.shape[2],
                                          img=np.ascontiguousarray(img), chdim=2)
        crf.addPairwiseEnergy(np.ascontiguousarray(feats, np.float32), compat=compat(
            bilateral_compat))
    q = np.array(crf.inference(iterations), dtype=np.float32)
    return q.reshape(c, h, w)
