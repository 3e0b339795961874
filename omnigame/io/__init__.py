"""Files in and out: videos and masks as the user has them, results as the user gets them.

video (the Video container, InputError), readers (Omnimatte folders, mp4 + mask videos, frame
folders), layers (the Layers result), result_writer (a result folder, written atomically),
result_reader (a result folder read back into Layers), alpha_fit (each effect's alpha fitted
to the input frame at its resolution), shadow_grow (the change no layer explains, a darkening
or, where the background is still, any change, given to the layer it touches), hand_over (an
effect patch detached from its object handed to the one other object it touches),
background_motion (patches of layer no stronger than the background's own motion, dropped),
steady_effects (where the background moves, alpha the neighbouring frames do not hold
relative to the layer, capped: an effect moves with its object), steady_owner (alpha a layer
holds in one frame only, given to the layer that holds the place in the frames around),
effect_tracks (an effect that changes layers mid-clip, given whole to the one holding most of it),
edge_matte (each object's soft rim outside its binary mask), alpha_denoise (alpha beyond
the rims lightly blurred, the composite kept: the fits' per-pixel scatter), specks (small
patches away from their object, where the background moves, dropped),
homographies (Omnimatte's homographies.txt: a camera path), files (the one atomic writer, overwrite
guard, PNG frame-folder and mp4 writer that every output goes through), sheets (contact
sheets: rows of frames and layers in one PNG).
"""
from .layers import Layers
from .readers import read_input
from .video import InputError, Video

__all__ = ["Layers", "read_input", "InputError", "Video"]
