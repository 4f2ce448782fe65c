import os

import pytest

from seg_ext.core.errors import DataError, MissingDataError
from seg_ext.core.image_inputs import collect_images


def test_collect_images(tmp_path):
    d = tmp_path / 'imgs'
    d.mkdir()
    for n in ('b.png', 'a.jpg', 'notes.txt'):
        (d / n).write_bytes(b'x')
    assert collect_images(str(d)) == [('a', str(d / 'a.jpg')), ('b', str(d / 'b.png'))]
    assert collect_images(str(d / 'b.png')) == [('b', str(d / 'b.png'))]
    split = tmp_path / 'split.txt'
    split.write_text('b\n\nz\n')
    assert collect_images(str(split), str(d)) == [('b', os.path.join(str(d), 'b.png')),
                                                  ('z', os.path.join(str(d), 'z.png'))]
    with pytest.raises(DataError, match='needs --img-dir'):
        collect_images(str(split))
    (tmp_path / 'empty.txt').write_text('\n')
    with pytest.raises(DataError, match='split file lists no ids'):
        collect_images(str(tmp_path / 'empty.txt'), str(d))
    (tmp_path / 'none').mkdir()
    with pytest.raises(DataError, match=r'none: no images \(.png'):
        collect_images(str(tmp_path / 'none'))
    with pytest.raises(MissingDataError, match='nope: input image, folder or split file not'):
        collect_images(str(tmp_path / 'nope'))
    (d / 'a.png').write_bytes(b'x')
    with pytest.raises(DataError, match="id 'a' also names"):
        collect_images(str(d))
