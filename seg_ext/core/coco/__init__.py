"""COCO instances / COCO panoptic: conversions, up-front validation, export from mask folders."""
from .export import export_coco_instances, export_coco_panoptic
from .formats import (
    bbox_xyxy,
    encode_rle,
    id2rgb,
    instances_from_mask,
    mask_to_polygons,
    panoptic_to_semantic_instance,
    rgb2id,
    semantic_instance_to_panoptic,
    stuff_semantic,
)
from .mask_folder import (
    IMAGE_EXTS,
    instance_segmentation,
    list_images,
    mask_folder_instances,
    read_label_map,
)
from .validation import rle_string_counts, validate_coco_instances, validate_coco_panoptic

__all__ = [
    'export_coco_instances', 'export_coco_panoptic', 'bbox_xyxy', 'encode_rle', 'id2rgb',
    'instances_from_mask', 'mask_to_polygons', 'panoptic_to_semantic_instance', 'rgb2id',
    'semantic_instance_to_panoptic', 'stuff_semantic', 'IMAGE_EXTS', 'instance_segmentation',
    'list_images', 'mask_folder_instances', 'read_label_map', 'rle_string_counts',
    'validate_coco_instances', 'validate_coco_panoptic'
]
