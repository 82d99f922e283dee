"""What a video training run's card says: its data, its deviations from the paper, its training record."""

from __future__ import annotations

from vtl_models.video.batches import TRAIN_SEEDS
from vtl_models.video.data import SPLIT_OFFSET
from vtl_models.video.model import SRcGAN, VideoConfig

LICENCE = (
    "No pretrained parts. Training clips from vtest.avi, an OpenCV sample video (Debian opencv-doc, OpenCV licence); "
    "Shape Motion is generated here."
)


def trained_on(args) -> str:
    """The card's `trained_on` for a run's arguments."""
    side = f"{args.size}x{args.size}"
    open_clips = ""
    if args.open_share:
        open_clips = (
            f"; in the interpolation and prediction settings {args.open_share:.0%} of a batch are open clips (two "
            "ground-truth futures sharing the anchors, both targets)"
        )
    return (
        f"procedurally generated Shape Motion clips at {side} pixels (1-3 coloured circles, squares and triangles "
        f"moving, bouncing, turning, rotating and scaling; 8-16 frames) with a {args.real_share:.0%} share of real "
        f"street-camera clips from OpenCV's vtest.avi{open_clips}. tree.avi, the real test clip, was never trained "
        f"on. Other videos are accepted (cropped to a centre square, resized to {side}) but lie outside what the "
        "model learned."
    )


def deviations(cfg: VideoConfig, samples: int) -> list[str]:
    """The card's `deviations_from_paper` for a run's config and its K samples per video."""
    grid = cfg.size // 4
    millions = sum(p.numel() for p in SRcGAN(cfg).parameters()) / 1e6
    copied = (
        "the DIS optical-flow interpolation (OpenCV)" if cfg.copy_source == "dis_flow" else "the time-weighted blend"
    )
    if cfg.posterior:
        code = (
            "Diversity from a per-sample code: in training a posterior encoder q(z | whole clip) gives one of "
            f"K={samples} codes (KL to N(0, I)) and the prior the others; the ConvGRU"
            + (" and the decoder read z." if cfg.decoder_code else " reads z.")
            + " Best-of-K against one truth, the cheaper pairing of samples to the two futures of open clips, beside "
            "the adversarial loss."
        )
    else:
        code = (
            f"Diversity from a per-sample code trained with a best-of-K (variety) reconstruction loss, K={samples}, "
            "beside the adversarial loss; no posterior network for the code."
        )
    return [
        f"{cfg.size}x{cfg.size} frames instead of 64x64 and a ~{millions:.1f}M-parameter generator: 2 CPU cores, at "
        "most 90 minutes of training.",
        "Shape Motion is regenerated here (no KTH or MUG on this machine); real clips from opencv-doc instead.",
        f"The frame latent is spatial ({cfg.latent_channels} x {grid} x {grid}) and the recurrent model is a "
        "bidirectional ConvGRU over it, so interpolation sees the anchors after a step as well as before.",
        f"The decoded frame is composited with {copied} of the nearest anchors through a predicted mask (the model "
        "chooses where to copy static content); at anchor steps the copy source is the anchor itself.",
        code,
    ]


def anchor_frames(cfg: VideoConfig) -> str:
    """The card's note on what the model outputs at anchor steps."""
    note = (
        "The model's own output at anchor steps: the compositor may copy the anchor there (its copy source at an "
        "anchor step is the anchor itself), so anchor_psnr measures that learned copy; vae_anchor_psnr in the eval "
        "is the VAE's own reconstruction of the anchors. Nothing is pasted after the model, except where the gate "
        "serves the plain linear blend of the anchors instead (card `gate`)."
    )
    if cfg.anchor_latent_is_mean:
        note += (
            " On the decoded path the latent at an anchor step is the anchor's encoder mean: the decoded anchors are "
            "the VAE's reconstruction."
        )
    return note


def run_card(stage: str, cfg: VideoConfig, args, record: dict) -> dict:
    """A stage's card; `record`: command, seconds, steps, history and validation results of the run."""
    return {
        "config": cfg.to_dict(),
        "input": {"size": cfg.size, "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "frames": 16},
        "trained_on": trained_on(args),
        "licence": LICENCE,
        "deviations_from_paper": deviations(cfg, args.samples),
        "anchor_frames": anchor_frames(cfg),
        "training": {
            "command": record["command"],
            "stage": stage,
            "seconds": round(record["seconds"]),
            "steps": dict(record["steps"]),
            "batch": args.batch,
            "samples_per_video": args.samples,
            "loss_weights": {
                "mean": args.w_mean,
                "anchor": args.w_anchor,
                "decoded": args.w_decoded,
                "copy": args.w_copy,
                "copy_moved": args.w_copy_moved,
                "posterior_kl": args.posterior_beta,
                "adv": args.w_adv if stage == "gan" else 0,
            },
            "kl_beta": args.beta,
            "real_share": args.real_share,
            "open_share": args.open_share,
            "val_open": args.val_open,
            "data_seed": f"Shape Motion train seeds 0..{TRAIN_SEEDS - 1} (random), val {SPLIT_OFFSET['val']}.., "
            f"test {SPLIT_OFFSET['test']}..; vtest.avi clips (train); tree.avi held out (test)",
            "history": record["history"],
            "validation": record["results"],
        },
    }
