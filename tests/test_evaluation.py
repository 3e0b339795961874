"""evaluate() on a tiny constructed scene: a moving disc with a shadow, and a static square."""
import json

import imageio.v3 as iio
import numpy as np
import pytest
import torch

from omnigame.evaluation import report
from omnigame.evaluation.evaluate import evaluate, load_ground_truth
from omnigame.io.files import write_frames, write_png
from omnigame.io.layers import Layers
from omnigame.io.video import Video

N, H, W = 4, 24, 32


def ellipse(cy, cx, ry, rx):
    yy, xx = np.mgrid[:H, :W]
    return ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1


def scene_arrays():
    """True layers (2, N, H, W, 4), object masks (2, N, H, W), shadow region (N, H, W), background."""
    yy, xx = np.mgrid[:H, :W]
    bg = np.stack([xx * 7 % 256, yy * 9 % 256, (xx + yy) * 5 % 256], -1).astype(np.uint8)
    rgba = np.zeros((2, N, H, W, 4), np.uint8)
    masks = np.zeros((2, N, H, W), bool)
    shadow = np.zeros((N, H, W), bool)
    for t in range(N):
        disc = ellipse(7, 8 + t, 4, 4)
        shadow[t] = ellipse(15, 12 + t, 2, 6) & ~disc
        rgba[0, t][shadow[t]] = (0, 0, 0, 128)
        rgba[0, t][disc] = (230, 40, 40, 255)
        masks[0, t] = disc
        masks[1, t, 4:10, 22:28] = True
        rgba[1, t][masks[1, t]] = (40, 40, 230, 255)
    return rgba, masks, shadow, bg


def make_layers(rgba, bg):
    order = np.tile([0, 1], (N, 1))
    background = np.broadcast_to(bg, (N, H, W, 3)).copy()
    layers = Layers(rgba=rgba, background=background, reconstruction=background, order=order,
                    object_names=["01", "02"], fps=12)
    layers.reconstruction = layers.composite()
    return layers


def write_scene(root, rgba, masks, bg, frames):
    """The on-disk scene layout of the synthetic generator (the parts evaluation reads, plus rgb/mask)."""
    names = [f"{t:05d}" for t in range(N)]
    write_frames(root / "rgb", frames, names)
    for k in range(2):
        write_frames(root / f"mask/{k + 1:02d}", masks[k] * np.uint8(255), names)
        write_frames(root / f"gt/layers/{k + 1:02d}", rgba[k], names)
        effect = (rgba[k, ..., 3] > 0) * np.uint8(255)
        write_frames(root / f"gt/effect_mask/{k + 1:02d}", effect, names)
    write_png(root / "gt" / "bg.png", bg)
    write_png(root / "bg_est.png", bg)
    (root / "order.txt").write_text("0 1\n")
    (root / "manifest.json").write_text("{}")


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    rgba, masks, shadow, bg = scene_arrays()
    truth = make_layers(rgba, bg)
    video = Video(frames=truth.reconstruction, masks=masks, order=truth.order, background=bg, fps=12)
    root = tmp_path_factory.mktemp("scene")
    write_scene(root, rgba, masks, bg, video.frames)
    return dict(rgba=rgba, masks=masks, shadow=shadow, bg=bg, video=video, root=root)


def test_load_ground_truth(scene):
    for where in (scene["root"], scene["root"] / "gt"):
        gt = load_ground_truth(str(where))
        np.testing.assert_array_equal(gt.layers, scene["rgba"])
        np.testing.assert_array_equal(gt.background, scene["bg"])
        assert gt.effect_masks.shape == (2, N, H, W) and gt.object_names == ["01", "02"]


def test_perfect_layers_write_everything(scene, tmp_path):
    layers = make_layers(scene["rgba"], scene["bg"])
    backgrounds = [np.full((H, W, 3), 90, np.uint8), np.zeros((2, 2 * H, 2 * W, 3), np.uint8)]
    out = tmp_path / "eval"
    result = evaluate(layers, scene["video"], gt_dir=str(scene["root"]), out_dir=str(out),
                      compose_backgrounds=backgrounds)
    for name in ["metrics.json", "metrics.md", "psnr_per_frame.png", "contact_sheet.png",
                 "error_map.png", "composition_00.mp4", "composition_01.mp4"]:
        assert (out / name).stat().st_size > 0, name
    saved = json.loads((out / "metrics.json").read_text())
    assert set(saved) == {"reconstruction", "warping_error", "ground_truth", "composition", "fvd", "fvd_note"}
    assert saved["reconstruction"]["psnr"] == 100.0 and saved["reconstruction"]["ssim"] == pytest.approx(1)
    assert len(saved["reconstruction"]["psnr_per_frame"]) == N
    gt = saved["ground_truth"]
    assert gt["effect_iou"]["per_object"] == [1.0, 1.0]
    assert gt["alpha_error"]["mean"] == 0.0 and gt["rgba_psnr"]["all"] == 100.0
    assert gt["association_accuracy"]["per_object"][0] == 1.0
    assert gt["association_accuracy"]["per_object"][1] is None  # object 02 has no effect: nan -> null
    assert saved["fvd"] is None and "I3D" in saved["fvd_note"]
    assert set(saved["warping_error"]["layers"]) == {"01", "02"}
    assert all(np.isfinite(v) for v in saved["warping_error"]["layers"].values())
    assert "ground_truth.effect_iou.mean" in (out / "metrics.md").read_text()
    assert iio.imread(out / "composition_01.mp4", plugin="pyav").shape == (N, H, W, 3)
    assert result["ground_truth"]["effect_iou"]["mean"] == 1.0


def test_missing_shadow_costs_iou_and_association(scene):
    rgba = scene["rgba"].copy()
    rgba[0][scene["shadow"]] = 0  # the object layer lost its shadow
    result = evaluate(make_layers(rgba, scene["bg"]), scene["video"], gt_dir=str(scene["root"]))
    disc = scene["masks"][0].sum()
    expected = disc / (disc + scene["shadow"].sum())  # pooled over all frames
    gt = result["ground_truth"]
    assert gt["effect_iou"]["per_object"][0] == pytest.approx(expected)
    assert gt["effect_iou"]["per_object"][1] == 1.0
    assert gt["association_accuracy"]["per_object"][0] == 0.0
    assert result["reconstruction"]["psnr"] < 40  # the shadow is missing from the reconstruction too


def test_shadow_in_the_wrong_layer_keeps_psnr_but_fails_association(scene):
    rgba = scene["rgba"].copy()
    rgba[1][scene["shadow"]] = rgba[0][scene["shadow"]]
    rgba[0][scene["shadow"]] = 0
    result = evaluate(make_layers(rgba, scene["bg"]), scene["video"], gt_dir=str(scene["root"]))
    assert result["reconstruction"]["psnr"] == 100.0  # same picture, wrong association
    assert result["ground_truth"]["association_accuracy"]["per_object"][0] == 0.0
    assert result["ground_truth"]["effect_iou"]["mean"] < 0.9


def test_without_ground_truth_or_output(scene):
    result = evaluate(make_layers(scene["rgba"], scene["bg"]), scene["video"])
    assert "ground_truth" not in result and result["fvd"] is None
    assert "no backgrounds" in result["fvd_note"]
    assert result["composition"] == {"num_backgrounds": 0, "videos": []}


class ChannelMean(torch.nn.Module):
    def forward(self, x):
        return x.mean(dim=(2, 3, 4))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_fvd_with_extractor(scene, tmp_path):
    path = str(tmp_path / "extractor.pt")
    torch.jit.save(torch.jit.script(ChannelMean()), path)
    rng = np.random.default_rng(0)
    backgrounds = [rng.integers(0, 256, (H, W, 3)).astype(np.uint8) for _ in range(3)]
    result = evaluate(make_layers(scene["rgba"], scene["bg"]), scene["video"],
                      compose_backgrounds=backgrounds, extractor=path)
    assert isinstance(result["fvd"], float) and result["fvd"] > 0
    assert "3 composites" in result["fvd_note"]


def test_shape_mismatch_is_refused(scene):
    layers = make_layers(scene["rgba"], scene["bg"])
    small = Video(frames=scene["video"].frames[:2], masks=scene["masks"][:, :2],
                  order=layers.order[:2])
    with pytest.raises(ValueError, match="frames, H, W"):
        evaluate(layers, small)


def test_markdown_table():
    table = report.markdown_table({"a": {"b": 0.123456, "c": [1.0, float("nan")]},
                                   "per_frame": list(range(20)), "fvd": None, "note": "x|y"})
    lines = table.splitlines()
    assert lines[:2] == ["| metric | value |", "|---|---|"]
    assert "| a.b | 0.1235 |" in lines and "| a.c | 1, n/a |" in lines
    assert "| per_frame | 20 values (see metrics.json) |" in lines
    assert "| fvd | n/a |" in lines and "| note | x\\|y |" in lines


def test_visible_footprint_marks_what_a_layer_changes():
    from omnigame.evaluation.metrics import effect_iou, visible_footprint
    bg = np.full((8, 8, 3), 200, np.uint8)
    layer = np.zeros((1, 8, 8, 4), np.uint8)
    layer[0, 2:4, 2:4] = (0, 0, 0, 102)  # a 40% shadow: 80 grey levels darker, clearly visible
    layer[0, 5, 5] = (0, 0, 0, 3)  # 1%: 2.4 levels per channel, under the threshold
    foot = visible_footprint(layer, bg)
    assert foot.dtype == np.uint8 and foot.sum() == 4 * 255
    assert effect_iou(layer, bg, foot) == 1.0
    assert effect_iou(layer, bg, layer[..., 3]) < 0.5  # alpha as the mask undercounts the shadow
