from .textzoom_evaluator import TextZoomEvaluator

__all__ = ['TextZoomEvaluator']
