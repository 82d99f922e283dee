"""What the Smile transfer predictor accepts and which world it serves (torch-free: the tab reads these while the UI
is built)."""

DOMAINS = ("photo", "cartoon")  # the input's domain; "auto" reads it from the image
STRENGTH_RANGE = (0.0, 1.0)  # the smile attribute code: off to on
MAX_SAMPLES = 8  # random faces per sampling call at most


def cartoons_of(card) -> str:
    """The cartoon world a CDRD run was trained on (runs before the choice existed: procedural)."""
    return card.raw["training"].get("cartoons", "procedural")


def check_world(cartoons: str) -> str | None:
    """The world argument of the out-of-domain check of a cartoon world (vtl_models.domain.check_name): the
    procedural world's check is the task's plain `domain`, another world's is `domain_<world>`."""
    return None if cartoons == "procedural" else cartoons


def served_run(name: str = "default") -> str:
    """The run whose weights weights/smile/<name> holds: a default made by `train smile --serve RUN` is RUN."""
    from vtl_models.hub import has_card, read_card

    return read_card("smile", name).raw.get("selected", {}).get("from", name) if has_card("smile", name) else name
