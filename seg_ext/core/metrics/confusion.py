"""Confusion matrix of one prediction against its ground truth, on the tensors' device."""
import torch
from torch import Tensor


def confusion_matrix(pred: Tensor, gt: Tensor, num_classes: int,
                     ignore_index: int = 255) -> Tensor:
    """Count ``(ground truth, prediction)`` pixel pairs.

    Args:
        pred: predicted labels, any shape, integer or float holding integers.
        gt: ground-truth labels, same number of elements as ``pred``.
        num_classes: number of classes ``C``.
        ignore_index: ground-truth value whose pixels are not counted.

    Returns:
        int64 tensor ``(C, C)`` on ``pred``'s device; row = ground truth, column = prediction.

    Raises:
        ValueError: shapes differ, or a label outside ``[0, C)`` (other than ``ignore_index`` in
            the ground truth) is found; the message gives the offending value.
    """
    if pred.numel() != gt.numel():
        raise ValueError(f'prediction has shape {tuple(pred.shape)} but ground truth has '
                         f'{tuple(gt.shape)}')
    n = num_classes
    pred = pred.reshape(-1).long()
    gt = gt.reshape(-1).to(pred.device).long()
    valid = gt != ignore_index
    if pred.numel():
        # one host sync for all four range checks
        masked_gt = torch.where(valid, gt, 0)
        g_min, g_max, p_min, p_max = torch.stack(
            [masked_gt.min(), masked_gt.max(), pred.min(), pred.max()]).tolist()
        if g_max >= n or g_min < 0:
            raise ValueError(f'ground-truth label {g_max if g_max >= n else g_min} is outside '
                             f'[0, {n}) and is not ignore_index ({ignore_index})')
        if p_max >= n or p_min < 0:
            raise ValueError(f'predicted label {p_max if p_max >= n else p_min} is outside '
                             f'[0, {n})')
    # ignored pixels go to one extra bin that is dropped: no boolean gather over the image
    idx = torch.where(valid, gt * n + pred, n * n)
    return torch.bincount(idx, minlength=n * n + 1)[:n * n].reshape(n, n)
