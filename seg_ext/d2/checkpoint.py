"""Detectron2 checkpoints that survive a kill and resume exactly.

:class:`ResumableCheckpointer` is Detectron2's ``DetectionCheckpointer`` with

* atomic writes of ``model_*.pth`` and ``last_checkpoint`` (temporary file + rename, the same
  writer as the mmseg side), so a kill while saving leaves the previous checkpoint as the latest;
* resuming from the newest *complete* checkpoint (a truncated or damaged file, or a dangling
  ``last_checkpoint``, is skipped with a warning naming it);
* the RNG states (Python, NumPy, torch) saved with each checkpoint and restored on resume, so that
  random choices after the resume (RoI sampling, augmentation) are the uninterrupted run's.

:class:`SkippingSampler` lets the trainer continue the data order after a resume instead of
restarting the sampler's sequence (see :meth:`seg_ext.d2.trainer.Trainer.resume_or_load`).
"""
import io
import logging
import os.path as osp
import random
from typing import Any, Dict, Iterator, List, Optional

import numpy as np
import torch
from detectron2.checkpoint import DetectionCheckpointer
from torch.utils.data import Sampler

from ..core import checkpoint_files
from ..core.checkpoint_files import newest_complete_checkpoint
from ..core.errors import DataError

logger = logging.getLogger(__name__)


def rng_state() -> Dict[str, Any]:
    """The process's RNG states as plain tensors/ints (loadable with ``weights_only=True``)."""
    version, state, gauss = random.getstate()
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    return dict(python=[version, torch.tensor(state, dtype=torch.int64), gauss],
                numpy=[kind, torch.from_numpy(keys.astype(np.int64)), pos, has_gauss, cached],
                torch=torch.get_rng_state())


def set_rng_state(state: Dict[str, Any]) -> None:
    """Restore what :func:`rng_state` returned."""
    version, keys, gauss = state['python']
    random.setstate((version, tuple(int(k) for k in keys.tolist()), gauss))
    kind, keys, pos, has_gauss, cached = state['numpy']
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state['torch'])


class ResumableCheckpointer(DetectionCheckpointer):
    """``DetectionCheckpointer`` with atomic saves, complete-only resume and saved RNG state.

    ``require_complete=True`` (evaluation) refuses a checkpoint that leaves model parameters
    missing or of another shape, instead of evaluating randomly initialised layers.
    """

    def __init__(self, *args, require_complete: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.require_complete = require_complete
        self._loading = ''

    def _load_file(self, filename: str):
        self._loading = filename
        return super()._load_file(filename)

    def _log_incompatible_keys(self, incompatible) -> None:
        super()._log_incompatible_keys(incompatible)
        if not self.require_complete:
            return
        missing = [k for k in incompatible.missing_keys if not k.endswith('num_batches_tracked')]
        shapes = [f'{k} {tuple(a)} vs {tuple(b)}' for k, a, b in incompatible.incorrect_shapes]
        if missing or shapes:
            raise DataError(self._loading or 'MODEL.WEIGHTS', 'checkpoint does not fit this model '
                            f'(another model or config?): {len(missing)} missing parameter(s) '
                            f'{missing[:5]}, {len(shapes)} of another shape {shapes[:5]}')

    def save(self, name: str, **kwargs: Any) -> None:
        if not self.save_dir or not self.save_to_disk:
            return
        data = {'model': self.model.state_dict()}
        for key, obj in self.checkpointables.items():
            data[key] = obj.state_dict()
        data.update(kwargs)
        data['rng'] = rng_state()
        basename = f'{name}.pth'
        path = osp.join(self.save_dir, basename)
        self.logger.info(f'Saving checkpoint to {path}')
        with io.BytesIO() as buf:
            torch.save(data, buf)
            checkpoint_files.atomic_write_bytes(buf.getvalue(), path)
        self.tag_last_checkpoint(basename)

    def tag_last_checkpoint(self, last_filename_basename: str) -> None:
        checkpoint_files.atomic_write_bytes(last_filename_basename.encode(),
                                         osp.join(self.save_dir, 'last_checkpoint'))

    def get_checkpoint_file(self) -> str:
        """The newest complete ``model_*.pth`` (``model_final.pth`` first, or the file
        ``last_checkpoint`` names); '' if none."""

        def skipped(path: str, problem: str) -> None:
            self.logger.warning(f'{path}: skipped for --resume: {problem}')

        return newest_complete_checkpoint(self.save_dir, ('model_*.pth', ), r'model_(\d+)\.pth$',
                                          final_name='model_final.pth', on_skip=skipped) or ''

    def has_checkpoint(self) -> bool:
        return bool(self.get_checkpoint_file())

    def load(self, path: str, checkpointables: Optional[List[str]] = None) -> Dict[str, Any]:
        """Detectron2's load; on a full resume the checkpoint's RNG states are restored and kept
        in ``self.loaded_rng`` (the trainer restores them again where the data loading resumes)."""
        remaining = super().load(path, checkpointables=checkpointables)
        rng = remaining.pop('rng', None) if isinstance(remaining, dict) else None
        self.loaded_rng = None
        if rng is not None and checkpointables is None:  # a full resume, not weights only
            set_rng_state(rng)
            self.loaded_rng = rng
        return remaining


class SkippingSampler(Sampler):
    """Yields ``sampler``'s indices after the first ``skip`` of them (set before iterating).

    ``rng_state`` (set on resume) is restored when iteration starts in the main process: after
    the data loader drew its base seed from the global torch RNG (which the uninterrupted run did
    at iteration 0) and before the first sample's augmentation, so with ``NUM_WORKERS=0`` the
    resumed run's random choices are exactly the uninterrupted run's. With worker processes the
    data order continues, but the workers' augmentation seeds are new.
    """

    def __init__(self, sampler: Sampler) -> None:
        self.sampler = sampler
        self.skip = 0
        self.rng_state: Optional[Dict[str, Any]] = None

    def __iter__(self) -> Iterator[int]:
        if self.rng_state is not None and torch.utils.data.get_worker_info() is None:
            set_rng_state(self.rng_state)
            self.rng_state = None
        it = iter(self.sampler)
        for _ in range(self.skip):
            next(it)
        yield from it
