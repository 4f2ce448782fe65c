"""The framework-free core of seg_ext, shared by the mmseg and the Detectron2 plugins.

Depends on NumPy, OpenCV, Pillow and PyTorch only (pycocotools for COCO RLE, imported where
used); never on mmcv / mmengine / mmseg / mmdet / detectron2, and importing it patches nothing.
"""
