from .gray_seg_local_visualizer import GraySegLocalVisualizer, as_three_channels
from .show_result import show_result_pyplot

__all__ = ['GraySegLocalVisualizer', 'as_three_channels', 'show_result_pyplot']
