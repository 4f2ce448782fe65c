import mmengine.logging
from mmengine.registry import DefaultScope

from seg_ext.core.crf import DenseCRF, GridCRF
from seg_ext.mmseg.registry import build_postprocessor


def test_build_postprocessor_under_mmseg_scope_without_scope_warning(monkeypatch):
    """Configs run with default_scope='mmseg'; the CRF must still build, without mmengine's
    'Failed to search registry with scope' warning, and leave the default scope as it was."""
    logged = []
    monkeypatch.setattr(mmengine.logging, 'print_log', lambda msg, *a, **k: logged.append(msg))
    with DefaultScope.overwrite_default_scope('mmseg'):
        crf = build_postprocessor(dict(type='DenseCRF', iterations=3, bilateral=None))
        grid = build_postprocessor(dict(type='GridCRF'))
        assert DefaultScope.get_current_instance().scope_name == 'mmseg'
    assert isinstance(crf, DenseCRF) and crf.iterations == 3 and crf.bilateral is None
    assert isinstance(grid, GridCRF)
    assert not [m for m in logged if 'Failed to search registry' in m], logged
