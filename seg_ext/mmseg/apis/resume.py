"""``tools/train.py --resume``: the newest *complete* checkpoint of the work dir, or a given one."""
import logging
from typing import Optional

from mmengine.config import Config
from mmengine.logging import print_log

from ...core.checkpoint_files import checkpoint_problem, newest_complete_checkpoint
from ...core.errors import DataError


def find_resume_checkpoint(work_dir: str) -> Optional[str]:
    """The newest complete ``iter_*.pth`` / ``epoch_*.pth`` of ``work_dir`` (or the file
    mmengine's ``last_checkpoint`` names), skipping damaged ones with a warning; ``None`` when
    there is none."""

    def skipped(path: str, problem: str) -> None:
        print_log(f'{path}: skipped for --resume: {problem}', logger='current',
                  level=logging.WARNING)

    return newest_complete_checkpoint(work_dir, ('iter_*.pth', 'epoch_*.pth'),
                                      r'(?:iter|epoch)_(\d+)\.pth$', on_skip=skipped)


def configure_resume(cfg: Config, resume: Optional[str]) -> None:
    """``--resume`` (newest complete checkpoint of the work dir; none: start from scratch) or
    ``--resume PATH`` (that checkpoint, which must be complete).

    A config that sets ``resume = True`` itself is treated the same way (``load_from`` as
    ``PATH`` when set, else the work dir's newest complete checkpoint): mmengine alone would
    auto-resume whatever ``last_checkpoint`` names, however damaged.

    Must be called after ``cfg.work_dir`` is resolved.

    Raises:
        DataError: ``PATH`` is missing, truncated or damaged.
    """
    if resume is None:
        if not cfg.get('resume'):
            return
        resume = cfg.get('load_from') or 'auto'
    if resume == 'auto':
        path = find_resume_checkpoint(cfg.work_dir)
        if path is None:
            print_log(f'--resume: no complete checkpoint in {cfg.work_dir}; training from the '
                      'start', logger='current', level=logging.WARNING)
        # without a checkpoint, resume=True would let mmengine pick `last_checkpoint` itself,
        # however damaged the file it names
        cfg.resume = path is not None
        cfg.load_from = path
        return
    cfg.resume = True
    problem = checkpoint_problem(resume)
    if problem is not None:
        raise DataError(resume, f'cannot resume from this checkpoint: {problem}')
    cfg.load_from = resume
