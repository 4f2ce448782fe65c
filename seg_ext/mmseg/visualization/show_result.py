"""mmseg's ``show_result_pyplot`` for 1-channel images too.

Upstream's ``show_result_pyplot`` draws with a ``SegLocalVisualizer`` it builds itself (not the
config's ``visualizer``), so the salt configs' ``GraySegLocalVisualizer`` cannot help it: an
(H, W) array fails inside mmseg while painting the mask. This function takes the same arguments,
shows a 1-channel array as gray RGB and hands everything to upstream's function. A path needs
no help (mmcv reads it as 3 channels).
"""
from .gray_seg_local_visualizer import as_three_channels


def show_result_pyplot(model, img, result, *args, **kwargs):
    """``mmseg.apis.show_result_pyplot(model, img, result, ...)`` where ``img`` may also be an
    (H, W) or (H, W, 1) array; returns the drawn RGB image as upstream does."""
    from mmseg.apis import show_result_pyplot as upstream
    if not isinstance(img, str):
        img = as_three_channels(img)
    return upstream(model, img, result, *args, **kwargs)
