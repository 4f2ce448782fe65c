from .gray_seg_local_visualizer import GraySegLocalVisualizer, as_three_channels

__all__ = ['GraySegLocalVisualizer', 'as_three_channels']
