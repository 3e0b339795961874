"""Typed configuration: every knob of omnigame lives in one of these dataclasses.

The dataclasses are registered with Hydra's ConfigStore so that a misspelt key in a YAML file or
on the command line fails at once. Library functions take these dataclasses (never a DictConfig);
only the thin entry points in `omnigame.cli` touch Hydra.

Numbers follow the spec (seed 001, "the paper") unless a field says otherwise; the reference
implementation's numbers, where they differ, are in `conf/preset/reference.yaml`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional

PRECISIONS = ("auto", "bf16", "fp32")  # TrainConfig.precision (training/precision.py)



@dataclass
class ModelConfig:
    """Architecture (seed section 1). The constructor signature of `OmnigameModel` is this."""

    image_size: List[int] = field(default_factory=lambda: [128, 224])  # H, W the tables are sized for
    encoder_channels: List[int] = field(default_factory=lambda: [64, 128, 256, 256])
    decoder_channels: List[int] = field(default_factory=lambda: [256, 128, 64, 64])
    pos_dims: List[int] = field(default_factory=lambda: [96, 96, 64])  # x, y, t; sums to width
    max_frames: int = 10
    heads: int = 4
    layers: int = 2
    mlp_ratio: int = 4
    dropout: float = 0.1
    # The reference concatenates the image encoder's first block into the decoder. Only hidden
    # frames are decoded, and a hidden frame's skip is the encoding of a blank image, so it
    # carries no picture content: off by default (the seed's architecture).
    skip: bool = False
    # Gradient of the reference's [-3, 3] clamp before the final tanh: 'hard' (the reference:
    # none outside the range, so alpha can never grow where it has been pushed below -3),
    # 'inward' (outside the range only gradients pointing back in pass) or 'straight'.
    clamp: str = "inward"


@dataclass
class ClipConfig:
    """How training clips are cut (reference: T=5 frames, 3 apart, 3 hidden)."""

    length: int = 5
    gap: int = 3
    hidden: int = 3
    # random: hidden frames drawn at random (reference scripts, both stages);
    # predict: last `hidden` frames hidden; inpaint: middle frames hidden.
    hide_mode: str = "random"


@dataclass
class MaskScheduleConfig:
    """lambda_m: starts at `initial`, times `factor` at each decay point.

    Decay point i is at_steps[i], or at_fractions[i] * total steps; given both, the smaller.
    Seed: pretraining 1.0 with decays at 1k and 2k steps; TTT 0.1 with decays at 0.1N and 0.2N.
    Our TTT default starts at 0.3: it measured better on the development benchmark (association
    0.82 against 0.80 with 0.1, experiments/dev_benchmark/README.md).
    """

    initial: float = 0.3
    factor: float = 0.1
    at_steps: List[int] = field(default_factory=list)
    at_fractions: List[float] = field(default_factory=lambda: [0.1, 0.2])


@dataclass
class LossConfig:
    """Weights of the self-supervised objective (seed section 2)."""

    sparsity_weight: float = 0.05  # lambda_r
    # Where the sparsity term applies: 'everywhere' (the seed's; pretraining always), or
    # 'moving' (ours, test-time training): weighted per pixel by how much the video's own
    # background keeps changing there (waves, foliage, stabilisation error), min(1, change /
    # moving_level), so it keeps layers off what the plate cannot explain while faint effects
    # over a still background are not pulled below their true alpha (omnigame.data.moving).
    # From random weights (init=scratch) use 'everywhere': nothing else keeps layers sparse.
    sparsity_where: str = "moving"
    moving_level: float = 0.03  # typical |frame - plate| (0-1, max channel) that counts fully
    sparsity_gamma: float = 1.0  # weight of the L1 part next to the smooth L0
    sparsity_sharpness: float = 5.0  # Phi_0(a) = 2 sigmoid(5a) - 1
    overlap_weight: float = 0.1  # reconstruction weight where two or more masks overlap
    mask: MaskScheduleConfig = field(default_factory=MaskScheduleConfig)
    # Effect warm-up (ours, not the seed's): for this fraction of the steps, outside each
    # object's mask, alpha is fitted as if the layer were a shadow, whatever its not-yet-learned
    # colour (omnigame.model.compositing.warm_up_composites); then the seed's objective alone.
    effect_warmup: float = 0.2


@dataclass
class TrainConfig:
    """One step-based loop serves pretraining and test-time training (TTT)."""

    # TTT from the pretrained model: 300 steps of 2 clips measured better than 150 of 4 or 75 of
    # 8, at the same cost (experiments/dev_benchmark/README.md, "Test-time training's numbers");
    # from random weights use batch 4 and 300 steps or more
    steps: int = 300
    batch_size: int = 2
    # Test-time training only: a step's cost grows with clips x objects x image area, so with
    # many objects, or on a moving camera's canvas (larger than a frame), the batch shrinks to
    # train at most this many (clip, object) pairs of frame-sized images per step (0: no
    # limit). 6 keeps one to three objects at 2 clips; two objects on a canvas 1.6x a frame's
    # area get 1 (the 5-minute budget).
    max_object_clips: int = 6
    lr: float = 1e-3
    # share of the steps, at the end, over which the learning rate falls linearly to zero
    # (0: constant, as the reference)
    lr_anneal: float = 0.0
    weight_decay: float = 1e-4  # reference (optax default); PyTorch's default would be 1e-2
    clip: ClipConfig = field(default_factory=ClipConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    crop_prob: float = 0.8  # probability of the reference's <=10% random zoom per clip
    seed: int = 0
    log_every: int = 10
    image_every: int = 100
    checkpoint_every: int = 100
    num_workers: int = 0
    # Pretraining on streamed scenes: clips drawn from each generated scene (ClipDataset);
    # more than 1 keeps an accelerator fed when scene generation is the bottleneck.
    clips_per_video: int = 1
    # "fp32"; "auto": the step's forward pass in bfloat16 (autocast; the weights, optimizer
    # and losses stay float32) where the device computes bfloat16 natively (a CPU with
    # AVX512-BF16 or AMX, a CUDA GPU with bf16), else float32; "bf16": always. On a 2-core
    # AMD EPYC with AVX512-BF16, test-time training in half the time, the dev benchmark's
    # scores within a seed's spread, but boys-beach lost the jumping boy's shadow for 2-4
    # frames: not the default (experiments/dev_benchmark/README.md, "bfloat16").
    precision: str = "fp32"
    progress: bool = True

    def __post_init__(self):  # a typo in YAML or on the command line fails at once
        if self.precision not in PRECISIONS:
            raise ValueError(f"train.precision={self.precision!r}: choose one of "
                             f"{', '.join(PRECISIONS)}")


def pretrain_defaults() -> TrainConfig:
    """The seed's pretraining numbers at batch 4: lr 1e-3, lambda_m = 1 decayed x0.1 at 1k and 2k steps
    (and the seed's objective throughout: no effect warm-up, the sparsity term on every pixel;
    the shipped model was pretrained so)."""
    return TrainConfig(steps=3000, batch_size=4, lr=1e-3, loss=LossConfig(mask=MaskScheduleConfig(
        initial=1.0, at_steps=[1000, 2000], at_fractions=[]), effect_warmup=0.0,
        sparsity_where="everywhere"))


@dataclass
class InputConfig:
    """How a user's video is read and resized for the model."""

    # model H, W (multiples of 16): the pretrained model's size; 128x224 is sharper, 4x slower
    size: List[int] = field(default_factory=lambda: [64, 112])
    keep_aspect: bool = False  # if True, H follows the video's aspect at width size[1]
    mask_threshold: float = 0.5  # fraction of full scale; mask videos are lossy
    max_background_frames: int = 200  # frames sampled for the median background
    background_margin: int = 2  # masks grown by this many pixels for the median background
    # Where the median holds a shadow (an object that stands still casts it in most frames),
    # the plate takes the pixel's lit samples instead (omnigame.data.background).
    shadow_free_background: bool = True
    # The camera: 'auto' (a homographies.txt beside rgb/ if there is one, else estimated from
    # the video; static if it moves less than a pixel), 'estimate', 'static', or the path of an
    # Omnimatte homographies.txt. A moving camera is decomposed on one stabilised canvas.
    camera: str = "auto"


@dataclass
class DecomposeConfig:
    """Everything `omnigame.decompose` needs besides the video itself."""

    model: ModelConfig = field(default_factory=ModelConfig)
    input: InputConfig = field(default_factory=InputConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    # TTT starts from the shipped pretrained model (omnigame/pretrained); 'scratch' starts
    # from random weights with `model`; or the path of a checkpoint.pt.
    init: str = "pretrained"
    # Layers at the input resolution: the input masks' sharp edges replace the model's blurred
    # silhouette (what the model adds beyond it, e.g. a shadow, is kept), and the residual
    # frame - reconstruction goes into the visible layers (reference s.6, as on real video).
    sharpen: bool = True
    # Effect alpha fitted to the input frame near where a layer already has an effect
    # (omnigame.io.alpha_fit): the model's effects come out at its size, blurred by upsampling.
    fit_alpha: bool = True
    # The change of the frame that no layer explains, where it touches an object or its
    # effect, taken into that object's layer (omnigame.io.shadow_grow): a darkening anywhere
    # (a long shadow the model left out), any other change (a reflection, dust) where the
    # background is usually still and within the object's height of it.
    grow_shadow: bool = True
    # An effect patch that does not touch its own object but touches exactly one other object
    # (its mask or its effect) is handed to that object (omnigame.io.hand_over): each player
    # sees only its own mask and can take the far end of another's shadow.
    hand_over: bool = True
    # A patch of layer (away from its object's rim) whose change is within twice what the
    # background changes by itself there (waves, foam, leaves) is dropped: that is the
    # background moving, not an effect (omnigame.io.background_motion). Still backgrounds:
    # no change.
    drop_motion: bool = True
    # Where the background moves, layer alpha outside the object's rim that the frames two
    # before and after do not hold at the same place relative to the layer is capped: an
    # effect moves with its object, a wave by itself (omnigame.io.steady_effects).
    steady: bool = True
    # Alpha a layer holds in one frame only, at a place another layer holds in the frames
    # around, goes to that layer: two players can take one shadow in a frame, but it stays
    # with its object over time (omnigame.io.steady_owner).
    steady_owner: bool = True
    # An effect that changes layers mid-clip (one layer's for some frames, another's for the
    # rest, never both at once) goes whole to the layer that holds most of it: one shadow,
    # one owner through time (omnigame.io.effect_tracks).
    track_owner: bool = True
    # Each object's soft rim just outside its binary mask (antialiasing, motion blur, hair),
    # matted from the mask's outline colour over what is behind, the object's own effect (a
    # shadow at the feet) included (omnigame.io.edge_matte).
    edge_matte: bool = True
    # Each layer's alpha beyond 2 px of every mask blurred by a gaussian of half a pixel, its
    # colour solved again for the same composite: the fits set alpha pixel by pixel, so frame
    # noise reaches it one pixel at a time (omnigame.io.alpha_denoise).
    denoise_alpha: bool = True
    # Small patches of a layer away from its object (under 2% of its area), where the
    # background moves, dropped: glints and flecks of a sea the plate cannot explain
    # (omnigame.io.specks).
    drop_specks: bool = True
    detail_transfer: bool = True
    preview: bool = True
    overwrite: bool = False
    # Keep out_dir/train/checkpoint.pt (weights, optimizer, RNG: 84 MB for the full model) to
    # continue test-time training later; by default it is deleted once the result is written.
    keep_checkpoint: bool = False
    device: str = "cpu"
    batch_frames: int = 8  # frames decoded per forward pass at inference


@dataclass
class DecomposeJob(DecomposeConfig):
    """The `omnigame-decompose` command: a DecomposeConfig plus where to read and write."""

    video: Optional[str] = None  # None: a built-in generated scene with shadows
    masks: List[str] = field(default_factory=list)
    out_dir: Optional[str] = None


@dataclass
class SceneMixConfig:
    """Streamed pretraining scenes made to look like users' input (omnigame.synthetic.mix)."""

    background_mode: str = "estimate"  # median of unmasked pixels, as users' videos get
    long_shadow_prob: float = 0.5  # share of 'v2' scenes (long shadows, lower camera)
    camera_motion_prob: float = 0.5  # share of stabilised moving-camera scenes
    stabilise_error_px: float = 1.0  # residual misregistration of those, pixels (std)
    background_weights: List[float] = field(default_factory=lambda: [0.4, 0.35, 0.15, 0.1])


@dataclass
class PretrainJob:
    """The `omnigame-pretrain` command."""

    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=pretrain_defaults)
    data: str = "synthetic"  # 'synthetic' (streamed scenes) or a folder of scene folders
    scene_size: List[int] = field(default_factory=lambda: [128, 224])
    max_objects: int = 3  # streamed scenes have 1..max_objects objects (padded per batch)
    scenes: SceneMixConfig = field(default_factory=SceneMixConfig)
    # 'scratch' (random weights), 'pretrained' (continue from the shipped model) or a path
    init: str = "scratch"
    out_dir: str = "runs/pretrain"
    device: str = "cpu"


def register_configs() -> None:
    """Make the dataclasses the schemas of the YAML files in conf/ (entry points call this)."""
    from hydra.core.config_store import ConfigStore
    cs = ConfigStore.instance()
    cs.store(name="decompose_schema", node=DecomposeJob)
    cs.store(name="pretrain_schema", node=PretrainJob)
