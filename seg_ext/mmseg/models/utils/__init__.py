from .match_size import match_size

__all__ = ['match_size']
