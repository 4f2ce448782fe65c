import numpy as np
import pytest
from PIL import Image

from seg_ext.core.confusion_report import (
    plot_confusion_matrix,
    read_confusion_csv,
    row_normalize,
    save_confusion_matrix,
    write_confusion_csv,
)
from seg_ext.core.errors import DataError


def test_row_normalize_keeps_absent_classes_at_zero():
    cm = np.array([[3, 1, 0], [0, 0, 0], [2, 2, 4]])
    np.testing.assert_allclose(row_normalize(cm), [[0.75, 0.25, 0], [0, 0, 0], [.25, .25, .5]])


def test_csv_round_trip_with_headers(tmp_path):
    cm = np.array([[41, 3], [1, 3]])
    path = write_confusion_csv(cm, ['unchanged', 'changed'], str(tmp_path / 'sub' / 'cm.csv'))
    lines = open(path).read().splitlines()
    assert lines == ['gt\\pred,unchanged,changed', 'unchanged,41,3', 'changed,1,3']
    back, classes = read_confusion_csv(path)
    assert classes == ['unchanged', 'changed'] and back.dtype == np.int64
    np.testing.assert_array_equal(back, cm)


def test_csv_errors(tmp_path):
    with pytest.raises(ValueError, match='there are 3 classes'):
        write_confusion_csv(np.zeros((2, 2)), ['a', 'b', 'c'], str(tmp_path / 'x.csv'))
    bad = tmp_path / 'bad.csv'
    bad.write_text('gt\\pred,a,b\na,1,2\nc,3,4\n')
    with pytest.raises(DataError, match='bad.csv: expected 2 rows named like the columns'):
        read_confusion_csv(str(bad))


def test_heat_map_png(tmp_path):
    csv_path, png_path = save_confusion_matrix(np.array([[5, 0], [2, 2]]), ['bg', 'salt'],
                                               str(tmp_path))
    assert csv_path.endswith('confusion_matrix.csv') and png_path.endswith('confusion_matrix.png')
    w, h = Image.open(png_path).size
    assert w > 200 and h > 200
    # many classes: no per-cell text, still drawn
    plot_confusion_matrix(np.eye(40, dtype=int), [f'c{i}' for i in range(40)],
                          str(tmp_path / 'big.png'))
    assert (tmp_path / 'big.png').stat().st_size > 0
