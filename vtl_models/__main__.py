"""`python -m vtl_models train|eval|publish|deploy|list|report ...`: one entry point for every task.

Each trained task is a package `vtl_models/<task>/` whose `train.py` has `main(argv)` and whose `evaluate.py` has
`run(name) -> dict` returning the eval contract (task, model, weights_sha256, n_test, seconds, metrics, baselines).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys

from vtl_models import TASKS


def _task_module(task: str, part: str):
    if task not in TASKS:
        sys.exit(f"error: unknown task {task!r}; valid tasks: {', '.join(TASKS)}")
    try:
        return importlib.import_module(f"vtl_models.{task}.{part}")
    except ModuleNotFoundError as err:
        if err.name and err.name.startswith(f"vtl_models.{task}"):
            sys.exit(f"error: the {task!r} task has no {part} yet (its model is not implemented)")
        raise


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m vtl_models", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="train a task's model and write weights/<task>/ (extra args go to the task)")
    train.add_argument("task", help=f"one of: {', '.join(TASKS)}")
    evaluate = sub.add_parser("eval", help="evaluate a task's committed weights on a regenerated held-out test set")
    evaluate.add_argument("task", help=f"one of: {', '.join(TASKS)}")
    evaluate.add_argument("--name", default="default", help="which weights/<task>/<name>.json")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    evaluate.add_argument("--update-card", action="store_true", help="write the metrics into the model card")
    publish = sub.add_parser("publish", help="upload weights/ with their cards to a Hugging Face model repo")
    publish.add_argument("--repo", required=True, help="USER/NAME of the Hub model repo")
    deploy = sub.add_parser("deploy", help="create or update a Gradio Space with this app (huggingface_hub)")
    deploy.add_argument("--space", required=True, help="USER/NAME of the Space")
    deploy.add_argument("--weights-repo", help="load weights from this model repo (set as VTL_WEIGHTS_REPO) instead")
    sub.add_parser("list", help="list the model cards in weights/")
    report = sub.add_parser("report", help="Markdown of every task's eval vs baselines and bars (the README's results)")
    report.add_argument("--write-readme", action="store_true", help="replace the README's results section with it")
    args, rest = parser.parse_known_args(argv)

    if args.command == "train":
        _task_module(args.task, "train").main(rest)
    elif rest:
        parser.error(f"unrecognised arguments: {' '.join(rest)}")
    elif args.command == "eval":
        report = _task_module(args.task, "evaluate").run(args.name)
        if args.update_card:
            from vtl_models.hub import update_card

            update_card(args.task, args.name, eval=report)
        print(json.dumps(report, indent=None if args.json else 2))
    elif args.command == "publish":
        from vtl_models.deploy import publish as publish_weights

        print(publish_weights(args.repo, token=os.environ.get("HF_TOKEN")))
    elif args.command == "deploy":
        from vtl_models.deploy import deploy as deploy_space

        print(deploy_space(args.space, args.weights_repo, token=os.environ.get("HF_TOKEN")))
    elif args.command == "report":
        from vtl_models.report import results_section, write_readme

        write_readme() if args.write_readme else print(results_section())
    else:
        from vtl_models.hub import list_cards

        for card in list_cards():
            print(f"{card.task:10s} {card.name:12s} {card.file:32s} {card.sha256[:12]}")


if __name__ == "__main__":
    main()
