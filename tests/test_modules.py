"""Shapes, value ranges and key properties of every module of the model."""
import pytest
import torch

from omnigame.config import ModelConfig
from omnigame.model.encoders import Encoder
from omnigame.model.network import OmnigameModel, hidden_indices
from omnigame.model.positional import PositionalEmbedding, resize_table
from omnigame.model.rgba_decoder import RGBADecoder
from omnigame.model.transformer import TransformerDecoder

from conftest import tiny_model_config

DTYPES = [torch.float32, torch.float64]


@pytest.mark.parametrize("dtype", DTYPES)
def test_encoder_halves_four_times(dtype):
    enc = Encoder(3, [8, 16, 32, 32]).to(dtype)
    feats, skip = enc(torch.rand(2, 3, 64, 112, dtype=dtype))
    assert feats.shape == (2, 32, 4, 7) and skip.shape == (2, 8, 32, 56)
    assert feats.dtype == dtype
    # the first block has no instance norm, the others do (seed: "omit ... in the first block")
    assert isinstance(enc.blocks[0].norm, torch.nn.Identity)
    assert all(isinstance(b.norm, torch.nn.InstanceNorm2d) for b in enc.blocks[1:])


def test_positional_embedding_shape_range_and_resize():
    pe = PositionalEmbedding(4, 7, 10, [12, 12, 8])
    with torch.no_grad():
        pe.x.mul_(100)  # values beyond [-1, 1] must be clipped
    emb = pe(5, 4, 7)
    assert emb.shape == (5, 4, 7, 32)
    assert emb.abs().max() <= 1.0
    # x channels vary along x only, t channels along t only
    assert torch.equal(emb[0, 0, :, :12], emb[3, 2, :, :12])
    assert torch.equal(emb[:, 0, 0, 24:], emb[:, 3, 6, 24:])
    # a larger grid interpolates the tables, keeping the end values
    big = resize_table(pe.y.detach(), 8)
    assert big.shape == (8, 12)
    assert torch.allclose(big[0], pe.y[0]) and torch.allclose(big[-1], pe.y[-1])
    with pytest.raises(ValueError, match="max_frames"):
        pe(11, 4, 7)


def test_transformer_keeps_objects_apart():
    torch.manual_seed(0)
    tr = TransformerDecoder(32, 4, 2, 4, dropout=0.0).eval()
    q = torch.randn(1, 2, 10, 32)
    kv = torch.randn(1, 12, 32)
    out = tr(q, kv, kv)
    assert out.shape == (1, 2, 10, 32)
    q2 = q.clone()
    q2[0, 1] = torch.randn(10, 32)  # change object 1's queries only
    out2 = tr(q2, kv, kv)
    assert torch.allclose(out[0, 0], out2[0, 0], atol=1e-6)
    assert not torch.allclose(out[0, 1], out2[0, 1])


@pytest.mark.parametrize("skip", [False, True])
def test_rgba_decoder_shape_and_range(skip):
    dec = RGBADecoder(32, [32, 16, 8, 8], skip_channels=8 if skip else 0)
    x = torch.randn(3, 32, 2, 3) * 50  # large inputs: tanh must still bound the output
    out = dec(x, torch.randn(3, 8, 16, 24) if skip else None)
    assert out.shape == (3, 4, 32, 48)
    assert 0.0 < out.min() and out.max() < 1.0  # clamp(-3, 3) then tanh: never exactly 0 or 1


def test_rgba_decoder_is_the_references_clamped_tanh():
    """sigmoid(2z) (what the decoder computes, for bit-identical runs) is (tanh(z) + 1) / 2."""
    torch.manual_seed(0)
    dec = RGBADecoder(32, [32, 16, 8, 8])
    x = torch.randn(3, 32, 2, 3) * 5
    out = dec(x)
    seen = {}
    dec.to_rgba.register_forward_hook(lambda m, i, o: seen.setdefault("logit", o))
    dec(x)
    expected = (torch.tanh(seen["logit"].clamp(-3.0, 3.0)) + 1.0) / 2.0
    assert torch.allclose(out, expected, atol=1e-6)
    assert (seen["logit"].abs() > 3).any() and (seen["logit"].abs() < 3).any()  # both regimes


def test_full_size_parameter_counts_match_reference():
    """Reference notes s.2: per-component counts of the public model (skip on)."""
    model = OmnigameModel(ModelConfig(skip=True))
    count = lambda m: sum(p.numel() for p in m.parameters())
    assert count(model.image_encoder) == 1_708_992
    assert count(model.mask_encoder) == 1_706_944
    assert count(model.transformer) == 2_107_392
    assert count(model.decoder) == 1_838_852
    assert count(model.image_pos) + count(model.mask_pos) == 5_504  # at 128x224


def _inputs(B=2, L=2, T=5, H=32, W=48, dtype=torch.float32):
    g = torch.Generator().manual_seed(0)
    frames = torch.rand(B, T, 3, H, W, generator=g, dtype=dtype)
    masks = (torch.rand(B, L, T, H, W, generator=g) > 0.7).to(dtype)
    visible = torch.tensor([[1, 1, 0, 0, 0], [0, 1, 0, 1, 0]], dtype=torch.bool)[:B]
    return frames, masks, visible


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("skip", [False, True])
def test_model_decodes_only_requested_frames(dtype, skip):
    model = OmnigameModel(tiny_model_config(skip=skip)).to(dtype).eval()
    frames, masks, visible = _inputs(dtype=dtype)
    rgba = model(frames, masks, visible)
    assert rgba.shape == (2, 2, 3, 4, 32, 48)  # 3 hidden frames decoded, not 5
    assert rgba.dtype == dtype and 0 < rgba.min() and rgba.max() < 1


def test_model_never_sees_hidden_frames():
    model = OmnigameModel(tiny_model_config()).eval()
    frames, masks, visible = _inputs()
    out = model(frames, masks, visible)
    changed = frames.clone()
    changed[~visible] = torch.rand_like(changed[~visible])
    assert torch.equal(out, model(changed, masks, visible))
    changed[visible] = torch.rand_like(changed[visible])
    assert not torch.allclose(out, model(changed, masks, visible))


def test_each_object_sees_only_its_own_mask():
    """The players: object 0's layers do not depend on object 1's mask."""
    model = OmnigameModel(tiny_model_config()).eval()
    frames, masks, visible = _inputs()
    out = model(frames, masks, visible)
    other = masks.clone()
    other[:, 1] = 1 - other[:, 1]
    out2 = model(frames, other, visible)
    assert torch.allclose(out[:, 0], out2[:, 0], atol=1e-6)
    assert not torch.allclose(out[:, 1], out2[:, 1])


def test_hidden_indices():
    visible = torch.tensor([[1, 1, 0, 0, 0], [0, 1, 0, 1, 0]], dtype=torch.bool)
    assert hidden_indices(visible).tolist() == [[2, 3, 4], [0, 2, 4]]
    with pytest.raises(ValueError):
        hidden_indices(torch.tensor([[1, 0, 0], [1, 1, 0]], dtype=torch.bool))


def test_model_rejects_sizes_not_multiple_of_16():
    with pytest.raises(ValueError, match="multiple of 16"):
        OmnigameModel(tiny_model_config(size=(30, 48)))


def test_runs_at_another_grid_size():
    """Tables sized for 32x48 are interpolated on the fly for a 64x96 video."""
    model = OmnigameModel(tiny_model_config()).eval()
    frames, masks, visible = _inputs(H=64, W=96)
    assert model(frames, masks, visible).shape == (2, 2, 3, 4, 64, 96)
