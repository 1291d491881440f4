"""Training: configs and presets, losses, data, the loop (resume, DDP, AMP)."""
