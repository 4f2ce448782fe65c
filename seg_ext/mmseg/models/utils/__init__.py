from .match_size import match_size
from .pretrained import (
                         PretrainedAnyChannelsInit,
                         checkpoint_state,
                         fit_checkpoint_to,
                         input_conv_names,
                         load_pretrained,
)
from .scse import SCSE

__all__ = ['match_size', 'PretrainedAnyChannelsInit', 'checkpoint_state', 'fit_checkpoint_to',
           'input_conv_names', 'load_pretrained', 'SCSE']
