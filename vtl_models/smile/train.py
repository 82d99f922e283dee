"""Train CDRD on labelled photo and unlabelled cartoon faces (--cartoons: procedural or Lorelei artwork):
`python -m vtl_models train smile`.

One step, as in the paper: D learns real/fake in both domains and the smile attribute from labeled photos and from
generated images of both domains; G learns to fool D and to make its attribute code visible in both domains; the
encoders learn to invert G (latent reconstruction on generated faces, image reconstruction on real ones) and their
translations are judged by D too. Cartoon labels are never loaded here.
"""

from __future__ import annotations

import argparse
import copy
import logging
import signal
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from tqdm import tqdm

from vtl_models.common import seed_everything
from vtl_models.hub import has_card, load_weights, resumed_stages, save_weights
from vtl_models.images import SIGNED, to_tensor
from vtl_models.smile.baseline import train_source_only
from vtl_models.smile.card import build_card, serve
from vtl_models.smile.data import CARTOONS, cached_split
from vtl_models.smile.evaluator import load_evaluator
from vtl_models.smile.model import CDRD, CDRDConfig, attribute_code
from vtl_models.smile.monitor import sample_grid, smile_probe, val_target_accuracy

log = logging.getLogger("vtl.smile.train")
RUNS = Path(__file__).resolve().parents[2] / "runs" / "smile"


def bce(logits: torch.Tensor, real: bool) -> torch.Tensor:
    """Non-saturating GAN loss of D logits against the real (1) or fake (0) target."""
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, float(real)))


def moment_penalty(z: torch.Tensor) -> torch.Tensor:
    """Keep encoded latents on the prior N(0, I) so sampling and translation share one latent space."""
    return z.mean(0).pow(2).mean() + (z.var(0) - 1).pow(2).mean()


def tie_penalty(discriminator) -> torch.Tensor:
    """Squared distance between D's target and source low-level convolutions (spectrally normalised weights)."""
    source, target = (
        [m for m in layer.modules() if isinstance(m, torch.nn.Conv2d)] for layer in discriminator.domain_specific
    )
    return sum(
        (t.weight - s.weight).pow(2).sum() + (t.bias - s.bias).pow(2).sum() for s, t in zip(source, target, strict=True)
    )


def losses(model: CDRD, xs, ls, xt, args, step: int = 0) -> tuple[torch.Tensor, torch.Tensor, dict[str, float]]:
    """One CDRD step's discriminator loss and generator+encoder loss (graphs kept separate by detach).

    The attribute losses on generated TARGET images (D's and G's) are off for the first `args.target_warmup` steps
    and weighted `args.target_cls` after: with no target labels, D's target attribute head can only learn the
    convention G's cartoon branch already has, so the shared layers must first carry the smile over on their own.
    """
    G, D, E = model.generator, model.discriminator, model.encoder
    n = len(xs)
    z = torch.randn(n, model.cfg.z_dim)
    attr = torch.randint(0, 2, (n,))  # l in the paper
    code = attribute_code(attr)
    h = G.shared_features(z, code)
    fakes = [G.render(h, d) for d in (0, 1)]
    cls_weight = (args.cls, args.cls * args.target_cls * (step >= args.target_warmup))  # per domain
    # D: adversarial in both domains; attribute on labeled photos and on generated images of both domains
    adv_rs, cls_rs = D(xs, 0)
    adv_rt, _ = D(xt, 1)
    tie = tie_penalty(D)
    loss_d = bce(adv_rs, True) + bce(adv_rt, True) + args.cls * F.cross_entropy(cls_rs, ls) + args.tie * tie
    for d, fake in enumerate(fakes):
        adv_f, cls_f = D(fake.detach(), d)
        loss_d = loss_d + bce(adv_f, False) + cls_weight[d] * F.cross_entropy(cls_f, attr)
    # G: fool D and make the requested attribute visible in both domains
    loss_g = torch.zeros(())
    for d, fake in enumerate(fakes):
        adv_f, cls_f = D(fake, d)
        loss_g = loss_g + bce(adv_f, True) + cls_weight[d] * F.cross_entropy(cls_f, attr)
    # E: invert G on generated faces (z and l known), reconstruct real faces, translate them across domains
    loss_e = torch.zeros(())
    for d, fake in enumerate(fakes):
        z_hat, a_hat = E(fake.detach(), d)
        loss_e = loss_e + F.mse_loss(z_hat, z) + F.cross_entropy(a_hat, attr)
    stats = {}
    if args.rec > 0:
        half = max(1, n // 2)  # half a batch is enough for the encoder paths and saves a third of the step
        for d, (x, label) in enumerate(((xs[:half], ls[:half]), (xt[:half], None))):
            z_hat, a_hat = E(x, d)
            if label is not None:
                code_hat = attribute_code(label)
                loss_e = loss_e + F.cross_entropy(a_hat, label)
            else:  # the guess for an unlabeled face: detached, the reconstruction cannot collapse it to one class
                guess = torch.softmax(a_hat, 1)
                code_hat = guess.detach() if args.detach_guess else guess
            h_hat = G.shared_features(z_hat, code_hat)
            rec = F.l1_loss(G.render(h_hat, d), x)
            loss_e = loss_e + args.rec * rec + 0.1 * moment_penalty(z_hat)
            stats[f"rec{d}"] = rec.item()
            # the translation must look like the other domain and keep the attribute it was given
            adv_x, cls_x = D(G.render(h_hat, 1 - d), 1 - d)
            cls_x = cls_weight[1 - d] * F.cross_entropy(cls_x, code_hat.argmax(1))
            loss_e = loss_e + args.trans * (bce(adv_x, True) + cls_x)
    stats.update(
        tie=tie.item(),
        d=loss_d.item(),
        g=loss_g.item(),
        e=loss_e.item(),
        acc_src=(cls_rs.argmax(1) == ls).float().mean().item(),
    )
    return loss_d, loss_g + loss_e, stats


def lr_scale(done: float, decay: float) -> float:
    """Learning-rate factor when `done` of the budget (time or steps) is spent: 1, then linear to 0 over `decay`."""
    return min(1.0, (1.0 - done) / decay) if decay > 0 else 1.0


def export_state(model: CDRD, generator) -> dict[str, torch.Tensor]:
    """The model's state with `generator` (the EMA copy) as its generator."""
    return {**model.state_dict(), **{f"generator.{k}": v for k, v in generator.state_dict().items()}}


def build_model(cfg: CDRDConfig, shared_d: bool = False) -> CDRD:
    """A fresh CDRD whose target layer D_T starts as a copy of D_S (a resumed stage overwrites both). `shared_d`, the
    ablation: D_T is D_S itself, one layer for both domains, so the tie penalty is 0 and the saved D_T equals D_S."""
    model = CDRD(cfg)
    low_level = model.discriminator.domain_specific
    low_level[1].load_state_dict(low_level[0].state_dict())
    if shared_d:
        low_level[1] = low_level[0]
    return model


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The training options (the loss tests build theirs here too, so a new option reaches them)."""
    parser = argparse.ArgumentParser(prog="python -m vtl_models train smile")
    parser.add_argument("--minutes", type=float, default=90.0, help="wall-clock budget")
    parser.add_argument("--steps", type=int, default=100_000, help="stop after this many steps")
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument(
        "--shared-stages", type=int, default=None, help="generator stages shared by the domains (default: all but one)"
    )
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--n-train", type=int, default=40_000, help="cached training faces per domain")
    parser.add_argument("--cartoons", choices=CARTOONS, default="procedural", help="the target domain's faces")
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--cls", type=float, default=1.0, help="weight of the attribute losses")
    parser.add_argument("--rec", type=float, default=2.0, help="weight of the encoder's image reconstruction")
    parser.add_argument("--trans", type=float, default=0.5, help="weight of the translation losses")
    parser.add_argument("--target-warmup", type=int, default=2000, help="steps before the fake-target attribute loss")
    parser.add_argument("--target-cls", type=float, default=0.5, help="fake-target attribute loss, relative to --cls")
    parser.add_argument("--decay", type=float, default=0.0, help="share of the budget over which lr falls to 0")
    parser.add_argument("--tie", type=float, default=1.0, help="weight of the D_T-to-D_S penalty (0: untied)")
    parser.add_argument(
        "--shared-d", action="store_true", help="ablation: one low-level D layer for both domains (D_T is D_S)"
    )
    parser.add_argument(
        "--detach-guess", action="store_true", help="rebuild unlabeled faces with the encoder's smile guess detached"
    )
    parser.add_argument("--sample-every", type=int, default=250, help="sample grid and smile probe every N steps")
    parser.add_argument(
        "--keep-best", action="store_true", help="save the state of the best validation probe, not the last one"
    )
    parser.add_argument("--checkpoint-every", type=int, default=1000, help="runs/smile/<name>/checkpoint.safetensors")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--name", default="default", help="weights/smile/<name>")
    parser.add_argument("--no-save", action="store_true")
    parser.add_argument(
        "--source-only", action="store_true", help="the baseline instead (vtl_models/smile/baseline.py)"
    )
    parser.add_argument(
        "--validate", action="store_true", help="only score committed runs (--name: that one) on labelled val cartoons"
    )
    parser.add_argument("--resume", action="store_true", help="continue from weights/smile/<name> (a further stage)")
    parser.add_argument("--serve", metavar="RUN", help="only make weights/smile/RUN the served default (card.serve)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (2 threads on 2 busy cores crawl)")
    return parser.parse_args(argv)


def main(argv: list[str]) -> None:
    """Train and write weights/smile/<name>.safetensors + card."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    if args.source_only:
        return train_source_only(args, argv)
    if args.serve:
        print(serve(args.serve, "python -m vtl_models train smile " + " ".join(argv)))
        return None
    if args.validate:
        from vtl_models.smile.validate import validate, validate_run

        return validate() if args.name == "default" else validate_run(args.name)
    torch.set_num_threads(args.threads)
    seed_everything(args.seed)
    cfg = CDRDConfig(size=args.size, width=args.width, shared_stages=args.shared_stages)
    photos = cached_split("photo", args.n_train, args.size, "train")
    xs_all, ls_all = torch.from_numpy(photos["images"]), torch.from_numpy(photos["smile"])
    cartoons = cached_split("cartoon", args.n_train, args.size, "train", cartoons=args.cartoons)
    xt_all = torch.from_numpy(cartoons["images"])  # images only
    model = build_model(cfg, args.shared_d)
    earlier: list[dict] = []
    if args.resume:  # a further stage on top of the weights this run would write (optimiser state starts afresh)
        state, old = load_weights("smile", args.name)
        model.load_state_dict(state)
        earlier = resumed_stages(old)
    first = sum(stage["steps"] for stage in earlier)  # the target warm-up and the EMA start count all stages
    ema = copy.deepcopy(model.generator).eval()
    opt_d = torch.optim.Adam(model.discriminator.parameters(), args.lr, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam([*model.generator.parameters(), *model.encoder.parameters()], args.lr, betas=(0.5, 0.999))
    rng = np.random.default_rng([args.seed, len(earlier)] if earlier else args.seed)
    judge = load_evaluator() if has_card("smile", "evaluator") and args.cartoons == "procedural" else None
    val = cached_split("cartoon", 500, args.size, "val", cartoons=args.cartoons)  # labelled validation cartoons
    run_dir = RUNS / args.name
    stop = []  # SIGTERM / Ctrl-C end the loop early and the weights are still saved
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.append(True))
    start, step = time.time(), first
    best: dict = {"val_target_acc": -1.0}  # --keep-best: the best validation probe so far, its step and state
    bar = tqdm(total=args.steps, file=sys.stderr, mininterval=10)
    while step - first < args.steps and time.time() - start < args.minutes * 60 and not stop:
        i, j = rng.integers(0, len(xs_all), args.batch), rng.integers(0, len(xt_all), args.batch)
        xs, xt = to_tensor(xs_all[i].numpy(), SIGNED), to_tensor(xt_all[j].numpy(), SIGNED)
        done = max((time.time() - start) / (args.minutes * 60), (step - first) / args.steps)
        for group in (*opt_d.param_groups, *opt_g.param_groups):
            group["lr"] = args.lr * lr_scale(done, args.decay)
        loss_d, loss_ge, stats = losses(model, xs, ls_all[i], xt, args, step)
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward(inputs=list(model.discriminator.parameters()))
        opt_d.step()
        opt_g.zero_grad(set_to_none=True)
        loss_ge.backward(inputs=[*model.generator.parameters(), *model.encoder.parameters()])
        opt_g.step()
        with torch.no_grad():
            for p_ema, p in zip(ema.parameters(), model.generator.parameters(), strict=True):
                p_ema.lerp_(p, 0.002 if step > 500 else 1.0)
            for b_ema, b in zip(ema.buffers(), model.generator.buffers(), strict=True):
                b_ema.copy_(b)
        step += 1
        bar.update(1)
        if step % 50 == 0:
            bar.set_postfix({k: f"{v:.3f}" for k, v in stats.items()})
        if step % args.sample_every == 0:
            probe = {k: round(v, 2) for k, v in smile_probe(model, ema, judge).items()} if judge else {}
            probe["val_target_acc"] = val_target_accuracy(model, val)
            if args.keep_best and probe["val_target_acc"] > best["val_target_acc"]:
                state = {k: v.clone() for k, v in export_state(model, ema).items()}
                best = {"val_target_acc": probe["val_target_acc"], "step": step, "state": state}
            log.info("step %d %.0fs %s smile rate %s", step, time.time() - start, _rounded(stats), probe)
            sample_grid(model, ema, run_dir / f"step_{step:06d}.png", args.size, args.cartoons)
        if step % args.checkpoint_every == 0:
            run_dir.mkdir(parents=True, exist_ok=True)
            save_file({k: v.clone() for k, v in export_state(model, ema).items()}, run_dir / "checkpoint.tmp")
            (run_dir / "checkpoint.tmp").replace(run_dir / "checkpoint.safetensors")
    bar.close()
    seconds = time.time() - start
    sample_grid(model, ema, run_dir / "final.png", args.size, args.cartoons)
    if not args.no_save:
        card = build_card(cfg, args, step - first, seconds, argv, earlier)
        state = best.pop("state", None) or export_state(model, ema)
        if args.keep_best and "step" in best:
            card["training"]["kept"] = {**best, "rule": f"best probe on {len(val['images'])} val cartoons"}
        path = save_weights("smile", args.name, state, card, half=True)
        log.info("saved %s after %d steps, %.0f s", path, step, seconds)


def _rounded(stats: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 3) for k, v in stats.items()}
