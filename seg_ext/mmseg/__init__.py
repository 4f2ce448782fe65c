"""The mmsegmentation plugin of seg_ext.

``import seg_ext.mmseg`` registers every dataset, transform, model, metric, hook, optimizer
wrapper and model wrapper into mmseg's registries (``default_scope='mmseg'``) and applies the
plugin's one compatibility shim where the installed versions need it
(:mod:`seg_ext.mmseg.compat`). Configs load it with::

    custom_imports = dict(imports=['seg_ext.mmseg'], allow_failed_imports=False)
"""
from . import compat

compat.apply()

from . import datasets, engine, evaluation, models, registry, visualization  # noqa: E402

__all__ = ['compat', 'datasets', 'engine', 'evaluation', 'models', 'registry', 'visualization']
