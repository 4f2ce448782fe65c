from .inference_stats_hook import InferenceStatsHook

__all__ = ['InferenceStatsHook']
