"""seg_ext.core.cli: the option lookup the tools use before their own parser runs."""
from seg_ext.core.cli import option_value


def test_option_value_both_spellings_and_absent():
    assert option_value(['--config-file', 'a.yaml', '--eval-only'], '--config-file') == 'a.yaml'
    assert option_value(['--num-gpus', '1', '--config-file=b.yaml'], '--config-file') == 'b.yaml'
    assert option_value(['--config-file'], '--config-file') is None  # no value after it
    assert option_value(['--config-filex', 'c.yaml'], '--config-file') is None
    assert option_value([], '--config-file') is None
