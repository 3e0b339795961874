"""The network of the coordination game, read top to bottom like the paper.

encoders (pix2pix image and mask encoders), positional (learnable x/y/t tables), transformer
(the 4-head, 2-layer decoder: masks query frames), rgba_decoder (CNN to an RGBA layer),
network (OmnigameModel: all of it per object), compositing (layers back-to-front over the
background).
"""
from .network import OmnigameModel, hidden_indices

__all__ = ["OmnigameModel", "hidden_indices"]
