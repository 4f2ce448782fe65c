import pytest
import torch

from seg_ext.core.metrics import confusion_matrix


def test_hand_made_with_ignore():
    gt = torch.tensor([[0, 0, 1], [1, 1, 255]])
    pred = torch.tensor([[0, 1, 1], [0, 1, 0]])
    cm = confusion_matrix(pred, gt, 2, ignore_index=255)
    # rows = ground truth, cols = prediction; the ignored pixel (pred 0) is not counted
    assert cm.tolist() == [[1, 1], [1, 2]]
    assert cm.dtype == torch.int64


def test_float_predictions_and_three_classes():
    gt = torch.tensor([0, 1, 2, 2, 2])
    pred = torch.tensor([0., 2., 2., 1., 2.])  # out_channels=1 heads give float 0/1 maps
    assert confusion_matrix(pred, gt, 3).tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 2]]


def test_out_of_range_labels():
    with pytest.raises(ValueError, match=r'ground-truth label 7 is outside \[0, 2\)'):
        confusion_matrix(torch.tensor([0, 1]), torch.tensor([0, 7]), 2)
    with pytest.raises(ValueError, match=r'predicted label 3 is outside'):
        confusion_matrix(torch.tensor([0, 3]), torch.tensor([0, 1]), 2)
    with pytest.raises(ValueError, match='shape'):
        confusion_matrix(torch.zeros(3), torch.zeros(4), 2)


def test_all_ignored():
    cm = confusion_matrix(torch.tensor([1, 1]), torch.tensor([255, 255]), 2)
    assert cm.sum() == 0
