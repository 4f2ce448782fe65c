"""seg_ext's own registry, for post-processors (everything else lives in mmseg's registries).

The CRFs themselves are framework-free classes of :mod:`seg_ext.core.crf`; they are registered
here so configs can name them (``crf=dict(type='DenseCRF', ...)``).
"""
from mmengine.registry import DefaultScope, Registry

from ..core.crf import DenseCRF, GridCRF

POSTPROCESSORS = Registry('post-processor', scope='seg_ext', locations=['seg_ext.mmseg.registry'])
POSTPROCESSORS.register_module(module=DenseCRF)
POSTPROCESSORS.register_module(module=GridCRF)


def build_postprocessor(cfg: dict):
    """Build ``cfg`` from ``POSTPROCESSORS`` whatever the current default scope (``mmseg``,
    ``mmdet``, ...): the registry has no counterpart in those scopes to search first."""
    with DefaultScope.overwrite_default_scope('seg_ext'):
        return POSTPROCESSORS.build(cfg)
