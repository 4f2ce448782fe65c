import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from seg_ext.core.errors import DataError, MissingDataError
from seg_ext.core.rle import rle_decode
from seg_ext.core.submission import (
    mask_rle,
    read_submission,
    read_submission_ids,
    submission_rows,
    write_submission,
)


def test_rle_by_hand_column_major_one_based():
    m = np.zeros((3, 2), np.uint8)
    m[1, 0] = m[2, 0] = m[0, 1] = 1  # column-major pixels 2,3,4 -> one run
    assert mask_rle(m) == '2 3'
    assert mask_rle(np.zeros((3, 3))) == ''


def test_submission_order_roundtrip_and_errors(tmp_path):
    sample = tmp_path / 'sample_submission.csv'
    sample.write_text('id,rle_mask\nb,1 1\na,1 1\n')
    assert read_submission_ids(sample) == ['b', 'a']
    masks = {'a': np.eye(4, dtype=np.uint8), 'b': np.zeros((4, 4), np.uint8),
             'c': np.ones((4, 4), np.uint8)}
    rows = submission_rows({k: mask_rle(v) for k, v in masks.items()},
                           read_submission_ids(sample), sample)
    assert rows == [('b', ''), ('a', mask_rle(masks['a']))]
    out = tmp_path / 'sub.csv'
    write_submission(out, rows)
    assert out.read_text().splitlines()[:2] == ['id,rle_mask', 'b,']
    back = read_submission(out, (4, 4))
    assert list(back) == ['b', 'a']
    assert all(np.array_equal(back[k], masks[k]) for k in back)
    with pytest.raises(DataError, match=r'sample_submission.csv: 1 listed id\(s\) have no '
                       r'predicted image \(e.g. z\)'):
        submission_rows({'a': ''}, ['a', 'z'], sample)
    with pytest.raises(MissingDataError, match='sample submission file not found'):
        read_submission_ids(tmp_path / 'nope.csv')
    (tmp_path / 'bad.csv').write_text('name,rle_mask\nx,\n')
    with pytest.raises(DataError, match='has no "id" column'):
        read_submission_ids(tmp_path / 'bad.csv')
    (tmp_path / 'dup.csv').write_text('id,rle_mask\nx,\nx,\n')
    with pytest.raises(DataError, match="duplicate id 'x'"):
        read_submission_ids(tmp_path / 'dup.csv')


@settings(max_examples=50, deadline=None)
@given(arrays(np.uint8, st.tuples(st.integers(1, 9), st.integers(1, 9)),
              elements=st.integers(0, 3)))
def test_mask_rle_roundtrip(mask):
    assert np.array_equal(rle_decode(mask_rle(mask), mask.shape), (mask != 0).astype(np.uint8))
