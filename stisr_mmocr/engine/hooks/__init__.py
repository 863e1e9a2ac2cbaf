from .textsr_visualization_hook import TextSRVisualizationHook

__all__ = ['TextSRVisualizationHook']
