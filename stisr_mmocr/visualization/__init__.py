from .textsr_visualizer import TextSRLocalVisualizer, mark_errors, to_uint8_rgb

__all__ = ['TextSRLocalVisualizer', 'mark_errors', 'to_uint8_rgb']
