import pytest

pytest.importorskip('detectron2', reason="detectron2 is not installed (extra 'd2')")
