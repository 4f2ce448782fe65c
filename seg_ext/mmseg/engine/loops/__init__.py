from .val_loss_loop import ValLossLoop, crop_to_original, predict_with_loss

__all__ = ['ValLossLoop', 'crop_to_original', 'predict_with_loss']
