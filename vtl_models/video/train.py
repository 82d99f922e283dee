"""Train SR-cGAN in the seed's three stages and write weights/video/{no_gan,gan,default}.

    python -m vtl_models train video --minutes 4,36,10,10

Stage 1: the VAE (frame encoder/decoder) on single frames. Stage 2: the recurrent temporal generator and the
compositor with the VAE, reconstruction losses only (vtl_models.video.losses): the best of K samples per video is
pulled to the truth (the variety loss that keeps the stochastic code in use), all samples weakly, and the decoded
path has its own best-of-K term. Stage 3: two equal-time continuations from that checkpoint: without discriminators
(`no_gan`, the ablation) and with the frame and video discriminators (hinge loss) added (`gan`). Every stage is
validated every --val-minutes and keeps its best checkpoint by the validation score (vtl_models.video.validation):
best-of-5 PSNR (interpolation + prediction) on Shape Motion validation seeds, less any shortfall against the linear
blend on real clips from the part of vtest.avi that training never reads. The default is no_gan unless --default-gan
(given only once claims.gan_vs_no_gan has won over >= 3 seeds a side) and the GAN loses neither that score nor
anchor PSNR; default.json is then a card that points at the chosen run's weight file (`selected` names it;
`--select-default` redoes only this choice on the committed runs). `--seed N` (N > 0) writes gan_seedN and
no_gan_seedN: the further training seeds of the eval's claim.

Issue 38's mode, `--v2` (the plan in weights/video/default.json's training_note; every part also a flag of its own,
off by default; `python -m vtl_models.video.train --help` lists them): half of each interpolation or prediction
batch are open clips whose two futures are both targets (the K=2 samples matched to them by the cheaper pairing); a
posterior encoder q(z | clip) gives one of the K codes (KL to N(0, I), --posterior-beta) and the decoder reads z; at
anchor steps the latent is the anchor's encoder mean; a 32-channel latent; the copy source is the DIS-flow
interpolation of the anchors (OpenCV, in the loader); no copy target, an L1 penalty on the copy mask where the
anchors around a step differ, w_decoded 3; the checkpoint score adds the open validation clips' diversity ratio.
The full run: size 32, 90 minutes a seed at 1 thread; seeds 1 and 2 side by side on the two cores, then seed 0,
which writes no_gan, gan and the default (replacing the committed runs), then the eval and its claim over 3 seeds:

    python -m vtl_models train video --v2 --minutes 4,56,15,15 --threads 1 --seed 1 &
    python -m vtl_models train video --v2 --minutes 4,56,15,15 --threads 1 --seed 2; wait
    python -m vtl_models train video --v2 --minutes 4,56,15,15 --threads 1 --seed 0
    python -m vtl_models eval video --json --update-card
"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
import time

import numpy as np
import torch
from tqdm import tqdm

from vtl_models.common import seed_everything
from vtl_models.hub import save_weights
from vtl_models.video.batches import task_batch, training_videos
from vtl_models.video.card import run_card
from vtl_models.video.futures import FUTURES
from vtl_models.video.losses import adversarial_step, completion_losses, generator_loss, vae_loss
from vtl_models.video.model import FrameDiscriminator, SRcGAN, VideoConfig, VideoDiscriminator
from vtl_models.video.validation import validate, validation_set

log = logging.getLogger("vtl.video.train")
V2 = {  # issue 38's plan: what `--v2` sets; any flag given on the command line still wins
    "open_share": 0.5,
    "posterior": True,
    "decoder_code": True,
    "anchor_mean": True,
    "latent_channels": 32,
    "copy_source": "dis_flow",
    "w_copy": 0.0,
    "w_copy_moved": 1.0,
    "w_decoded": 3.0,
    "val_open": 24,
}


def config_of(args) -> VideoConfig:
    """The architecture a run's arguments ask for."""
    return VideoConfig(
        size=args.size,
        latent_channels=args.latent_channels,
        posterior=args.posterior,
        decoder_code=args.decoder_code,
        anchor_latent_is_mean=args.anchor_mean,
        copy_source=args.copy_source,
    )


def running(stage_end: float, step: int, max_steps: int) -> bool:
    """A stage goes on until its minutes are up (or, with --max-steps, its steps)."""
    return time.time() < stage_end and not (max_steps and step >= max_steps)


def train(args) -> dict:
    seed_everything(args.seed)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    cfg = config_of(args)
    model = SRcGAN(cfg)
    minutes = [float(m) for m in args.minutes.split(",")]
    val = validation_set(cfg.size, args.val_open)
    history: dict[str, list] = {"vae": []}
    results, steps = {}, {}
    start = time.time()

    # stage 1: VAE
    opt = torch.optim.Adam(model.parameters(), args.lr)
    stage_end, step = time.time() + 60 * minutes[0], 0
    with tqdm(desc="stage 1 VAE", unit="step", file=sys.stderr, mininterval=15) as bar:
        while running(stage_end, step, args.max_steps):
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
            while running(stage_end, step, args.max_steps):
                batch = task_batch(rng, args.batch, cfg, args.real_share, args.open_share)
                terms = completion_losses(model, batch, args.samples, args)
                loss = generator_loss(terms, args)
                if adversarial:
                    samples = terms["out"]["video"]
                    d_loss, g_adv = adversarial_step(frame_d, video_d, d_opt, batch.video, batch.mask, samples)
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
                if time.time() >= next_check or not running(stage_end, step, args.max_steps):
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
        record = {"seconds": time.time() - start, "steps": steps, "history": history, "results": results}
        save(stage, model, cfg, args, record)
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


def save(stage: str, model: SRcGAN, cfg: VideoConfig, args, record: dict) -> None:
    """Write the stage's weights and card (card.run_card; `record` without the command); after the GAN stage also
    the default (select_default)."""
    command = "python -m vtl_models train video " + " ".join(shlex.quote(a) for a in args.argv)
    card = run_card(stage, cfg, args, {**record, "command": command})
    save_weights("video", stage if args.seed == 0 else f"{stage}_seed{args.seed}", model.state_dict(), card)
    if stage == "gan" and args.seed == 0:  # further seeds are the claim's, never the default
        select_default(args.default_gan, command)


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The training arguments; `--v2` first sets V2's defaults (issue 38's plan), which any flag given overrides."""
    parser = argparse.ArgumentParser(
        prog="python -m vtl_models train video",
        description=__doc__.splitlines()[0],
        epilog=__doc__[__doc__.index("Issue 38's mode") :],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("--minutes", default="4,36,10,10", help="budgets: VAE, recurrent, then each continuation (no_gan, gan)")
    add("--size", type=int, default=32)
    add("--batch", type=int, default=12)
    add("--samples", type=int, default=2, help="K samples per video for the variety loss")
    add("--lr", type=float, default=1e-3, help="recurrent stage; the continuations run at half")
    add("--val-minutes", type=float, default=8, help="validate this often; each stage keeps its best")
    add("--lr-d", type=float, default=2e-4)
    add("--beta", type=float, default=1e-3, help="KL weight of the VAE")
    add("--w-mean", type=float, default=0.1)
    add("--w-anchor", type=float, default=2.0)
    add("--w-adv", type=float, default=0.01)
    add("--w-decoded", type=float, default=1.0, help="best-of-K loss on the decoded path alone")
    add("--w-copy", type=float, default=0.0, help="the copy mask's per-pixel target (0: off)")
    add("--real-share", type=float, default=0.2)
    add("--threads", type=int, default=2)
    add("--seed", type=int, default=0, help="N > 0 writes gan_seedN and no_gan_seedN (the claim's)")
    add("--default-gan", action="store_true", help="let the GAN be the default (only once it has won the claim)")
    add("--select-default", action="store_true", help="only make the trained gan or no_gan run the default (no copy)")
    add("--max-steps", type=int, default=0, help="also end each stage after this many steps (smoke runs; 0: no cap)")
    v2 = parser.add_argument_group("issue 38 (--v2 sets: " + ", ".join(f"{k}={v}" for k, v in V2.items()) + ")")
    v2.add_argument("--v2", action="store_true", help="the plan's mode: the defaults of this group as listed")
    v2.add_argument("--open-share", type=float, default=0.0, help="share of open clips (both futures as truths)")
    flag = argparse.BooleanOptionalAction
    v2.add_argument("--posterior", action=flag, default=False, help="one of the K codes from q(z | clip)")
    v2.add_argument("--posterior-beta", type=float, default=1e-3, help="KL weight of the posterior code")
    v2.add_argument("--decoder-code", action=flag, default=False, help="the decoder reads z too")
    v2.add_argument("--anchor-mean", action=flag, default=False, help="anchor steps' latent = their encoder mean")
    v2.add_argument("--latent-channels", type=int, default=16, help="channels of the VAE's spatial latent")
    v2.add_argument("--copy-source", choices=("blend", "dis_flow"), default="blend", help="what the compositor copies")
    v2.add_argument(
        "--w-copy-moved", type=float, default=0.0, help="L1 on the copy mask where the anchors around a step differ"
    )
    v2.add_argument("--val-open", type=int, default=0, help="open validation clips per setting (score + ratio)")
    if parser.parse_known_args(argv)[0].v2:
        parser.set_defaults(**V2)
    args = parser.parse_args(argv)
    if args.open_share and args.samples < FUTURES:
        parser.error(f"--open-share needs --samples >= {FUTURES}: one sample per future")
    args.argv = argv
    return args


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    command = "python -m vtl_models train video " + " ".join(shlex.quote(a) for a in argv)
    print(select_default(args.default_gan, command) if args.select_default else train(args))


if __name__ == "__main__":  # python -m vtl_models.video.train --help: the flags (`python -m vtl_models` keeps -h)
    main()
