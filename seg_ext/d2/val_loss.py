"""Validation loss and early stopping for Detectron2's trainer (``SEG_EXT.VAL_LOSS``)."""
import logging
import math
from typing import Optional

import torch
from detectron2.data import DatasetMapper, build_detection_test_loader
from detectron2.engine import HookBase
from detectron2.utils import comm

__all__ = ['EarlyStop', 'ValLossHook']


class EarlyStop(Exception):
    """Raised by :class:`ValLossHook` to end training; ``Trainer.train`` catches it."""


class ValLossHook(HookBase):
    """Every ``period`` iterations (and after the last), the mean training loss (sum of the
    model's loss terms) over ``dataset`` with the *training* mapper (so annotations are loaded),
    without gradients and with BatchNorm layers in eval mode (their running statistics are left
    alone). Written to the event storage as ``validation_loss`` (``metrics.json``, TensorBoard).

    With ``patience > 0``: every improvement by more than ``min_delta`` saves
    ``model_best.pth``; after ``patience`` validations without one, training stops
    (:class:`EarlyStop`) -- Detectron2 0.6 has neither a validation loss nor early stopping.
    """

    def __init__(self, cfg, period: int, dataset: str, patience: int = 0,
                 min_delta: float = 0.0, max_batches: Optional[int] = None) -> None:
        self.cfg = cfg.clone()
        self.period = int(period)
        self.dataset = dataset
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        self.max_batches = max_batches
        self.best = math.inf
        self.wait = 0
        self._loader = None

    def _val_loader(self):
        if self._loader is None:
            self._loader = build_detection_test_loader(
                self.cfg, self.dataset, mapper=DatasetMapper(self.cfg, is_train=True))
        return self._loader

    def compute(self) -> float:
        """Mean summed loss over the validation set (all processes together)."""
        model = self.trainer.model
        norms = [m for m in model.modules()
                 if isinstance(m, torch.nn.modules.batchnorm._BatchNorm) and m.training]
        for m in norms:
            m.eval()
        total, count = 0.0, 0
        try:
            with torch.no_grad():
                for i, inputs in enumerate(self._val_loader()):
                    if self.max_batches is not None and i >= self.max_batches:
                        break
                    losses = model(inputs)
                    total += float(sum(v for k, v in losses.items() if 'loss' in k))
                    count += 1
        finally:
            for m in norms:
                m.train()
        totals = comm.all_gather((total, count))
        total, count = sum(t for t, _ in totals), sum(c for _, c in totals)
        return total / max(count, 1)

    def after_step(self) -> None:
        it = self.trainer.iter + 1
        if it % self.period and it != self.trainer.max_iter:
            return
        value = self.compute()
        self.trainer.storage.put_scalar('validation_loss', value, smoothing_hint=False)
        logger = logging.getLogger('detectron2.seg_ext')
        logger.info(f'Iteration {it}: validation loss {value:.4f} on {self.dataset}')
        if self.patience <= 0:
            return
        if value < self.best - self.min_delta:
            self.best, self.wait = value, 0
            if comm.is_main_process():
                self.trainer.checkpointer.save('model_best', iteration=self.trainer.iter)
            return
        self.wait += 1
        if self.wait >= self.patience:
            logger.info(f'Early stop at iteration {it}: no validation-loss improvement for '
                        f'{self.wait} validations (best {self.best:.4f}, model_best.pth)')
            raise EarlyStop(it)
