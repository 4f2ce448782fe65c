"""seg_ext's own registry, for post-processors (everything else lives in mmseg's registries)."""
from mmengine.registry import DefaultScope, Registry

POSTPROCESSORS = Registry('post-processor', scope='seg_ext', locations=['seg_ext.postprocessing'])


def build_postprocessor(cfg: dict):
    """Build ``cfg`` from ``POSTPROCESSORS`` whatever the current default scope (``mmseg``,
    ``mmdet``, ...): the registry has no counterpart in those scopes to search first."""
    with DefaultScope.overwrite_default_scope('seg_ext'):
        return POSTPROCESSORS.build(cfg)
