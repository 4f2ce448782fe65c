"""Tool support for the mmseg side (what ``tools/*.py`` call): config set-up for train/test,
distributed launch environments, ``--resume``, dataset checks and model statistics. Not imported
by ``import seg_ext.mmseg``; nothing here is registered."""
