"""Train SR-cGAN in the seed's three stages and write weights/video/{no_gan,gan,default}.

    python -m vtl_models train video --minutes 4,36,10,10

Stage 1: the VAE (frame encoder/decoder) on single frames. Stage 2: the recurrent temporal generator and the
compositor with the VAE, reconstruction losses only: the best of K samples per video is pulled to the truth (the
variety loss that keeps the stochastic code in use), all samples weakly, and the decoded path has its own best-of-K
term. Stage 3: two equal-time continuations from that checkpoint: without discriminators (`no_gan`, the ablation)
and with the frame and video discriminators (hinge loss) added (`gan`). Every stage is validated every
--val-minutes and keeps its best checkpoint by the validation score: best-of-5 PSNR (interpolation + prediction) on
Shape Motion validation seeds, less any shortfall against the linear blend on real clips from the part of vtest.avi
that training never reads. The default is no_gan unless --default-gan (given only once claims.gan_vs_no_gan has
won over >= 3 seeds a side) and the GAN loses neither that score nor anchor PSNR; default.json is then a card that
points at the chosen run's weight file (`selected` names it; `--select-default` redoes only this choice on the
committed runs). `--seed N` (N > 0) writes gan_seedN and no_gan_seedN: the further training seeds of the eval's claim.
"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
import time

import numpy as np
import torch
from torch.nn import functional as F
from tqdm import tqdm

from vtl_models.common import seed_everything
from vtl_models.hub import save_weights
from vtl_models.video.data import (
    SPLIT_OFFSET,
    TASKS,
    random_real_clips,
    random_task,
    shape_batch,
    shape_motion,
    test_real_clips,
)
from vtl_models.video.metrics import complete, linear_blend, mean_scores, to_input
from vtl_models.video.model import (
    FrameDiscriminator,
    SRcGAN,
    VideoConfig,
    VideoDiscriminator,
    condition_of,
    hinge_d,
    kl_divergence,
)

log = logging.getLogger("vtl.video.train")
TRAINED_ON = (
    "procedurally generated Shape Motion clips at 32x32 pixels (1-3 coloured circles, squares and triangles moving, "
    "bouncing, turning, rotating and scaling; 8-16 frames) with a 20% share of real street-camera clips from "
    "OpenCV's vtest.avi. tree.avi, the real test clip, was never trained on. Other videos are accepted (cropped to "
    "a centre square, resized to 32x32) but lie outside what the model learned."
)
DEVIATIONS = [
    "32x32 frames instead of 64x64 and a ~0.3M-parameter generator: 2 CPU cores, at most 90 minutes of training.",
    "Shape Motion is regenerated here (no KTH or MUG on this machine); real clips from opencv-doc instead.",
    "The frame latent is spatial (16 x 8 x 8) and the recurrent model is a bidirectional ConvGRU over it, so "
    "interpolation sees the anchors after a step as well as before.",
    "The decoded frame is composited with the time-weighted blend of the nearest anchors through a predicted mask "
    "(the model chooses where to copy static content); at anchor steps the blend is the anchor itself.",
    "Diversity from a per-sample code trained with a best-of-K (variety) reconstruction loss, K=2, beside the "
    "adversarial loss; no posterior network for the code.",
]
N_VAL = int(__import__("os").environ.get("VTL_VIDEO_NVAL", 48))  # validation videos per task
TRAIN_SEEDS = SPLIT_OFFSET["val"]  # training seeds are drawn from 0 .. this - 1


def training_videos(rng: np.random.Generator, n: int, length: int, size: int, real_share: float) -> torch.Tensor:
    """A batch of random training videos (float, [-1, 1]); `real_share` of them are vtest.avi clips."""
    n_real = int(rng.binomial(n, real_share))
    seeds = rng.integers(0, TRAIN_SEEDS, n - n_real)
    videos = [np.stack([shape_motion(int(s), size, length) for s in seeds])] if n > n_real else []
    real = random_real_clips(rng, n_real, size, length) if n_real else None
    if real is not None:
        videos.append(real)
    return to_input(np.concatenate(videos))


def validation_set(size: int) -> dict[str, np.ndarray]:
    """The fixed validation videos per task (never the test seeds) and, as "real", interpolation clips from the first
    half of vtest.avi's last part, which training never reads (consecutive frames, as the tree.avi test clips are);
    the eval's real_interp_psnr_vtest uses its second half."""
    tasks = enumerate(TASKS.items())
    val = {task: shape_batch("val", i * N_VAL, N_VAL, size, length) for i, (task, (_, length)) in tasks}
    real = test_real_clips(size, TASKS["interpolation"][1], "vtest.avi", validation=True, half=0)
    return val if real is None else {**val, "real": real}


def validate(model: SRcGAN, val: dict[str, np.ndarray]) -> dict[str, float]:
    """Best-of-5 and mean PSNR, anchor PSNR, diversity per task, plus a sharpness ratio (model / truth gradients);
    on the real clips, best-of-5 interpolation PSNR against the linear blend's. `score` ranks checkpoints: the mean
    best-of-5 PSNR of interpolation and prediction, less any shortfall against the blend on the real clips."""
    model.eval()
    out = {}
    for task, videos in val.items():
        steps = TASKS["interpolation" if task == "real" else task][0]
        samples = complete(model, videos, steps, samples=5, seed=1)
        scores = mean_scores(videos, samples, steps, with_ssim=False)
        if task == "real":
            blend = np.stack([linear_blend(v, steps) for v in videos])[:, None]
            out["real_psnr_best"] = round(scores["psnr_best"], 3)
            out["real_blend_psnr"] = round(mean_scores(videos, blend, steps, with_ssim=False)["psnr_best"], 3)
            continue
        out.update({f"{task}_{k}": round(v, 3) for k, v in scores.items()})
        grad = lambda v: np.abs(np.diff(v.astype(np.float32), axis=-2)).mean()  # noqa: E731
        out[f"{task}_sharpness"] = round(float(grad(samples) / grad(videos)), 3)
    out["best5_psnr"] = round((out["interpolation_psnr_best"] + out["prediction_psnr_best"]) / 2, 3)
    shortfall = min(0.0, out["real_psnr_best"] - out["real_blend_psnr"]) if "real_psnr_best" in out else 0.0
    out["score"] = round(out["best5_psnr"] + shortfall, 3)
    model.train()
    return out


def vae_loss(model: SRcGAN, frames: torch.Tensor, beta: float) -> torch.Tensor:
    mean, logvar = model.encoder(frames)
    sample = mean + torch.randn_like(mean) * (0.5 * logvar).exp()
    return F.l1_loss(model.decoder(sample)[1], frames) + beta * kl_divergence(mean, logvar)


def completion_losses(model: SRcGAN, video: torch.Tensor, mask: torch.Tensor, k: int, args) -> dict:
    """Reconstruction terms of a batch: variety (best of K), mean over K, anchors, and the VAE on the anchors."""
    code = torch.randn(video.shape[0], k, model.cfg.code_dim)
    out = model(video, mask, code)
    error = (out["video"] - video[:, None]).abs().mean((3, 4, 5))  # (B, K, T)
    free = (1 - mask)[:, None]
    per_sample = (error * free).sum(2) / free.sum(2)  # (B, K)
    anchors = mask[:, None]
    anchor_error = ((error * anchors).sum(2) / anchors.sum(2)).mean()
    anchor_frames = video.flatten(0, 1)[mask.flatten() > 0.5]
    # the decoded path gets its own best-of-K term: otherwise copying the anchors' blend everywhere (the compositor's
    # easy minimum, found within a few hundred steps) starves it of gradient and the samples never differ
    decoded_error = (out["decoded"] - video[:, None]).abs().mean((3, 4, 5))
    decoded = (decoded_error * free).sum(2) / free.sum(2)
    # the copy mask's own target: copy the blend where, per pixel, it is closer to the truth than the decoded frame;
    # unlike the output loss alone, this keeps a gradient once the mask has saturated at "copy everywhere"
    truth = video[:, None]
    closer = (out["blend"] - truth).abs().mean(3, keepdim=True) <= (out["decoded"] - truth).abs().mean(3, keepdim=True)
    copy_target = F.binary_cross_entropy_with_logits(out["copy_logits"], closer.float())
    return {
        "out": out,
        "decoded": decoded.min(1).values.mean() + args.w_mean * decoded.mean(),
        "variety": per_sample.min(1).values.mean(),
        "mean": per_sample.mean(),
        "anchor": anchor_error,
        "vae": vae_loss(model, anchor_frames, args.beta),
        "copy": copy_target,
    }


def task_batch(rng: np.random.Generator, batch: int, size: int, real_share: float) -> tuple[torch.Tensor, torch.Tensor]:
    """A random task (interpolation or prediction) and a batch of training videos for it: (videos (B, T, 3, H, W),
    anchor mask (B, T), 1 at the anchor steps)."""
    anchor_steps, length = random_task(rng)
    video = training_videos(rng, batch, length, size, real_share)
    mask = torch.zeros(len(video), length)
    mask[:, list(anchor_steps)] = 1.0
    return video, mask


def adversarial_step(
    frame_d: FrameDiscriminator,
    video_d: VideoDiscriminator,
    d_opt: torch.optim.Optimizer,
    video: torch.Tensor,
    mask: torch.Tensor,
    samples: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One hinge-loss step of the frame and video discriminators (real `video` against the detached `samples`,
    (B, K, T, 3, H, W)), then the generator's adversarial term against the stepped discriminators.

    Returns:
        (the discriminators' loss, the generator's adversarial loss g_adv, to be weighted into its loss).
    """
    fake = samples.flatten(0, 1)  # (B*K, T, 3, H, W)
    cond = condition_of(video, mask)
    fake_cond = cond.repeat_interleave(samples.shape[1], 0)
    d_loss = hinge_d(video_d(video, cond), video_d(fake.detach(), fake_cond)) + hinge_d(
        frame_d(video.flatten(0, 1), cond.flatten(0, 1)),
        frame_d(fake.detach().flatten(0, 1), fake_cond.flatten(0, 1)),
    )
    d_opt.zero_grad(set_to_none=True)
    d_loss.backward()
    d_opt.step()
    g_adv = -video_d(fake, fake_cond).mean()
    g_adv = g_adv - frame_d(fake.flatten(0, 1), fake_cond.flatten(0, 1)).mean()
    return d_loss, g_adv


def train(args) -> dict:
    seed_everything(args.seed)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    cfg = VideoConfig(size=args.size)
    model = SRcGAN(cfg)
    minutes = [float(m) for m in args.minutes.split(",")]
    val = validation_set(cfg.size)
    history: dict[str, list] = {"vae": []}
    results, steps = {}, {}
    start = time.time()

    # stage 1: VAE
    opt = torch.optim.Adam(model.parameters(), args.lr)
    stage_end, step = time.time() + 60 * minutes[0], 0
    with tqdm(desc="stage 1 VAE", unit="step", file=sys.stderr, mininterval=15) as bar:
        while time.time() < stage_end:
            frames = training_videos(rng, args.batch, 4, cfg.size, args.real_share).flatten(0, 1)
            loss = vae_loss(model, frames, args.beta)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            if step % 50 == 0:
                history["vae"].append([step, round(loss.item(), 4)])
                bar.set_postfix(loss=f"{loss.item():.4f}")
            bar.update()
    steps["vae"] = step

    # stage 2: the recurrent generator with reconstruction losses; stage 3: two equal-time continuations from it,
    # without (no_gan) and with the discriminators (gan), so the comparison is not confounded by training time
    frame_d, video_d = FrameDiscriminator(cfg), VideoDiscriminator(cfg)
    d_opt = torch.optim.Adam([*frame_d.parameters(), *video_d.parameters()], args.lr_d, betas=(0.5, 0.999))
    branch_point = None
    for stage, stage_minutes in (("recurrent", minutes[1]), ("no_gan", minutes[2]), ("gan", minutes[3])):
        adversarial = stage == "gan"
        if branch_point is not None:
            model.load_state_dict(branch_point)
        opt = torch.optim.Adam(model.parameters(), args.lr, betas=(0.5, 0.999) if adversarial else (0.9, 0.999))
        if stage != "recurrent":
            for group in opt.param_groups:
                group["lr"] = args.lr / 2  # the continuations settle at a lower rate
        stage_end, step = time.time() + 60 * stage_minutes, 0
        next_check, best = time.time() + 60 * args.val_minutes, None
        with tqdm(desc=f"stage {stage}", unit="step", file=sys.stderr, mininterval=15) as bar:
            while time.time() < stage_end:
                video, mask = task_batch(rng, args.batch, cfg.size, args.real_share)
                terms = completion_losses(model, video, mask, args.samples, args)
                loss = terms["variety"] + args.w_mean * terms["mean"] + args.w_anchor * terms["anchor"] + terms["vae"]
                loss = loss + args.w_decoded * terms["decoded"] + args.w_copy * terms["copy"]
                if adversarial:
                    d_loss, g_adv = adversarial_step(frame_d, video_d, d_opt, video, mask, terms["out"]["video"])
                    loss = loss + args.w_adv * g_adv
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)  # the GRU at a high rate: no spikes
                opt.step()
                step += 1
                if step % 25 == 0:
                    row = [step, round(terms["variety"].item(), 4), round(terms["anchor"].item(), 4)]
                    if adversarial:
                        row += [round(d_loss.item(), 4), round(g_adv.item(), 4)]
                    history.setdefault(stage, []).append(row)
                    bar.set_postfix(variety=row[1], anchor=row[2])
                bar.update()
                if time.time() >= next_check or time.time() >= stage_end:
                    best = checkpoint(model, val, step, best, history.setdefault(f"{stage}_validation", []))
                    next_check = time.time() + 60 * args.val_minutes
        if best is None:  # a zero budget: the stage's starting point
            best = checkpoint(model, val, step, best, history.setdefault(f"{stage}_validation", []))
        model.load_state_dict(best["state"])
        steps[stage] = step
        results[stage] = {**best["scores"], "kept_step": best["step"]}
        log.info("%s validation (kept step %d): %s", stage, best["step"], results[stage])
        if stage == "recurrent":
            branch_point = {k: v.clone() for k, v in model.state_dict().items()}
            continue
        save(stage, model, cfg, args, steps, history, results, time.time() - start)
    return results


def checkpoint(model: SRcGAN, val: dict, step: int, best: dict | None, log_rows: list) -> dict:
    """Validate the model at `step`; the best so far by `score` (a dict with its state, step and scores)."""
    scores = validate(model, val)
    log_rows.append([step, scores["score"], scores["best5_psnr"], scores.get("real_psnr_best")])
    log.info("step %d validation: %s", step, scores)
    if best is not None and best["scores"]["score"] >= scores["score"]:
        return best
    return {"state": {k: v.clone() for k, v in model.state_dict().items()}, "step": step, "scores": scores}


def keep_gan(results: dict, args) -> bool:
    """The GAN is the default only when asked (`--default-gan`, after claims.gan_vs_no_gan won over >= 3 seeds a side,
    issue 38) and only if, on validation, it loses neither the score (best-of-5 PSNR, less any real-clip shortfall)
    nor anchor PSNR; otherwise no_gan is."""
    gan, plain = results["gan"], results["no_gan"]
    anchors = min(gan["interpolation_anchor_psnr"], gan["prediction_anchor_psnr"])
    plain_anchors = min(plain["interpolation_anchor_psnr"], plain["prediction_anchor_psnr"])
    return args.default_gan and gan["score"] >= plain["score"] and anchors >= min(30.0, plain_anchors)


# what a default card says beyond its run's card, kept across a re-selection; its eval and open_futures_validation
# measure one weight file and are rerun instead
DEFAULT_NOTES = ("caveats", "training_note", "anchor_frames")


def select_default(default_gan: bool, command: str) -> str:
    """Make weights/video/default the card of the gan or no_gan run (by keep_gan on the gan card's validation): it
    points at that run's weight file, no copy, and `selected` says which run it is. The current default's notes are
    kept when its weights are one of these two runs (they describe this training); its eval is not (rerun it). The
    served path's gate is chosen afresh for the chosen weights, on validation (vtl_models.video.gate).

    Args:
        default_gan: --default-gan was given (the GAN may be the default).
        command: the command that made this choice, for the card.

    Returns:
        The chosen run's name.
    """
    from vtl_models.hub import has_card, read_card, share_weights, update_card
    from vtl_models.video.gate import gate_record

    if not (has_card("video", "gan") and has_card("video", "no_gan")):
        raise SystemExit("no video gan / no_gan runs to select from: train them first")
    runs = {name: read_card("video", name) for name in ("gan", "no_gan")}
    results = runs["gan"].raw["training"]["validation"]  # the gan stage's card holds all three stages' validation
    chosen = "gan" if keep_gan(results, argparse.Namespace(default_gan=default_gan)) else "no_gan"
    card = dict(runs[chosen].raw)
    if has_card("video", "default"):
        current = read_card("video", "default").raw
        if current["sha256"] in {run.sha256 for run in runs.values()}:
            card.update({k: current[k] for k in DEFAULT_NOTES if k in current})
    card["training"] = {**card["training"], "default_is": chosen}  # the eval's model name reads it
    card["selected"] = {
        "from": chosen,
        "rule": "no_gan unless --default-gan (given once claims.gan_vs_no_gan is won over >= 3 seeds a side, "
        "issue 38) and the GAN loses neither the validation score nor anchor PSNR (keep_gan)",
        "validation_score": {name: results[name]["score"] for name in ("no_gan", "gan")},
        "command": command,
    }
    share_weights("video", "default", chosen, card)
    update_card("video", "default", gate=gate_record("default", command))
    log.info("default <- %s", chosen)
    return chosen


def save(stage, model, cfg, args, steps, history, results, seconds) -> None:
    """Write the stage's weights and card; after the GAN stage also the default (select_default)."""
    command = "python -m vtl_models train video " + " ".join(shlex.quote(a) for a in args.argv)
    card = {
        "config": cfg.to_dict(),
        "input": {"size": cfg.size, "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "frames": 16},
        "trained_on": TRAINED_ON,
        "licence": "No pretrained parts. Training clips from vtest.avi, an OpenCV sample video (Debian opencv-doc, "
        "OpenCV licence); Shape Motion is generated here.",
        "deviations_from_paper": DEVIATIONS,
        "anchor_frames": "The model's own output at anchor steps: the compositor may copy the anchor there (its copy "
        "source at an anchor step is the anchor itself), so anchor_psnr measures that learned copy; vae_anchor_psnr "
        "in the eval is the VAE's own reconstruction of the anchors. Nothing is pasted after the model, except where "
        "the gate serves the plain linear blend of the anchors instead (card `gate`).",
        "training": {
            "command": command,
            "stage": stage,
            "seconds": round(seconds),
            "steps": dict(steps),
            "batch": args.batch,
            "samples_per_video": args.samples,
            "loss_weights": {
                "mean": args.w_mean,
                "anchor": args.w_anchor,
                "decoded": args.w_decoded,
                "copy": args.w_copy,
                "adv": args.w_adv if stage == "gan" else 0,
            },
            "kl_beta": args.beta,
            "real_share": args.real_share,
            "data_seed": f"Shape Motion train seeds 0..{TRAIN_SEEDS - 1} (random), val {SPLIT_OFFSET['val']}.., "
            f"test {SPLIT_OFFSET['test']}..; vtest.avi clips (train); tree.avi held out (test)",
            "history": history,
            "validation": results,
        },
    }
    save_weights("video", stage if args.seed == 0 else f"{stage}_seed{args.seed}", model.state_dict(), card)
    if stage == "gan" and args.seed == 0:  # further seeds are the claim's, never the default
        select_default(args.default_gan, command)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m vtl_models train video", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--minutes", default="4,36,10,10", help="budgets: VAE, recurrent, then each continuation (no_gan, gan)"
    )
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--batch", type=int, default=12)
    parser.add_argument("--samples", type=int, default=2, help="K samples per video for the variety loss")
    parser.add_argument("--lr", type=float, default=1e-3, help="recurrent stage; the continuations run at half")
    parser.add_argument("--val-minutes", type=float, default=8, help="validate this often; each stage keeps its best")
    parser.add_argument("--lr-d", type=float, default=2e-4)
    parser.add_argument("--beta", type=float, default=1e-3, help="KL weight of the VAE")
    parser.add_argument("--w-mean", type=float, default=0.1)
    parser.add_argument("--w-anchor", type=float, default=2.0)
    parser.add_argument("--w-adv", type=float, default=0.01)
    parser.add_argument("--w-decoded", type=float, default=1.0, help="best-of-K loss on the decoded path alone")
    parser.add_argument("--w-copy", type=float, default=0.0, help="the copy mask's per-pixel target (0: off)")
    parser.add_argument("--real-share", type=float, default=0.2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0, help="N > 0 writes gan_seedN and no_gan_seedN (the claim's)")
    parser.add_argument(
        "--default-gan", action="store_true", help="let the GAN be the default (only once it has won the claim)"
    )
    parser.add_argument(
        "--select-default", action="store_true", help="only make the trained gan or no_gan run the default (no copy)"
    )
    args = parser.parse_args(argv)
    args.argv = argv
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    command = "python -m vtl_models train video " + " ".join(shlex.quote(a) for a in argv)
    print(select_default(args.default_gan, command) if args.select_default else train(args))
