"""The camera: how it moved, and decomposing a moving-camera video on one stabilised canvas.

homography (3x3 maps in pixel coordinates: apply, warp, rescale, compare), align (photometric
alignment of two frames), estimate (a video's CameraPath from its background pixels), choice
(the `input.camera` setting: a user's homographies.txt, estimated, or static), canvas (frames
onto one canvas covering the whole camera path, and layers back into the original frames),
workspace (what decompose works on: the frames themselves, or their canvas).
The homographies.txt format itself is read and written in omnigame.io.homographies.
"""
