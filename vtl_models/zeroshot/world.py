"""The zero-shot v2 world: 41 labels whose co-occurrence follows what WordNet encodes, and the fixed label split.

A thing is drawn with its parts (a sail and a mast with a sailboat, wheels, windshield and headlight with a car or a
truck, roof, wall, door and windows with a house or a barn, a trunk with a tree, a peak with a mountain), and an
image holds a kind whenever it holds a thing of that kind (WordNet hypernyms: a car is a motor vehicle, a wheeled
vehicle and a vehicle). So the relations of the label graph (hypernym and part edges) say what appears together,
as in real photos. Every label is one WordNet 3.0 noun sense (lemma, sense number from 0 in WordNet's order).

The split was fixed here before any model was trained or any scene of this world was scored:
  SEEN               training targets
  VALIDATION_UNSEEN  never targets; held-out seen-world labels that play "unseen" on validation scenes, where every
                     choice (configuration, epoch) is made ("pseudo-unseen"); they are in the card's seen_labels only
                     in the sense of being known to the designer, never to training
  UNSEEN             never targets, never read before the test eval; they enter the label graph at test only
Both held-out sets have the same make-up: parts whose wholes are seen and easy, and kinds whose members are seen.
"""

from __future__ import annotations

# (lemma, sense) of every label, in output order
SENSES: dict[str, tuple[str, int]] = {
    # the landscape (drawn by the multilabel renderer's helpers)
    "sky": ("sky", 0),
    "cloud": ("cloud", 1),  # atmospheric phenomenon; a part of the sky in WordNet
    "sun": ("sun", 0),
    "moon": ("moon", 0),
    "mountain": ("mountain", 0),
    "mountain peak": ("mountain_peak", 0),  # part of a mountain
    "snow": ("snow", 1),  # a layer of snow on the ground
    "grass": ("grass", 0),
    "beach": ("beach", 0),
    "water": ("body_of_water", 0),  # kind of lake and ocean
    "lake": ("lake", 0),
    "ocean": ("ocean", 0),
    "bird": ("bird", 0),
    "person": ("person", 0),
    # things with parts
    "car": ("car", 0),
    "truck": ("truck", 0),
    "bicycle": ("bicycle", 0),
    "boat": ("boat", 0),
    "sailboat": ("sailboat", 0),
    "house": ("house", 0),
    "barn": ("barn", 0),
    "tree": ("tree", 0),
    # parts (WordNet part meronyms of a thing or of one of its hypernyms)
    "wheel": ("wheel", 0),  # of a wheeled vehicle
    "windshield": ("windshield", 0),  # of a motor vehicle
    "headlight": ("headlight", 0),  # of a motor vehicle's electrical system
    "handlebar": ("handlebar", 0),  # of a bicycle
    "sail": ("sail", 0),  # of a sailing vessel
    "mast": ("mast", 0),  # of a sailing vessel
    "roof": ("roof", 0),  # of a building
    "wall": ("wall", 0),  # of a building
    "window": ("window", 0),  # of a building
    "door": ("door", 0),  # of a building (interior door) and of a car (car door)
    "trunk": ("trunk", 0),  # of a tree
    # kinds (WordNet hypernyms of things drawn)
    "vehicle": ("vehicle", 0),
    "wheeled vehicle": ("wheeled_vehicle", 0),
    "motor vehicle": ("motor_vehicle", 0),
    "watercraft": ("watercraft", 1),  # vessel, watercraft
    "building": ("building", 0),
    "celestial body": ("celestial_body", 0),
    "animal": ("animal", 0),
    "geological formation": ("geological_formation", 0),
}
LABELS: tuple[str, ...] = tuple(SENSES)
INDEX: dict[str, int] = {label: i for i, label in enumerate(LABELS)}

UNSEEN: tuple[str, ...] = (
    "wheel",
    "headlight",
    "sail",
    "trunk",
    "window",
    "vehicle",
    "motor vehicle",
    "building",
    "celestial body",
    "animal",
)
VALIDATION_UNSEEN: tuple[str, ...] = ("mast", "windshield", "door", "handlebar", "wheeled vehicle", "watercraft")
SEEN: tuple[str, ...] = tuple(label for label in LABELS if label not in UNSEEN + VALIDATION_UNSEEN)

# What each drawn thing is painted with (the renderer's contract; a part is present iff enough of it is visible)
DRAWN_PARTS: dict[str, tuple[str, ...]] = {
    "car": ("wheel", "windshield", "headlight", "door"),
    "truck": ("wheel", "windshield", "headlight"),
    "bicycle": ("wheel", "handlebar"),
    "sailboat": ("sail", "mast"),
    "house": ("roof", "wall", "door", "window"),
    "barn": ("roof", "wall", "door", "window"),
    "tree": ("trunk",),
    "mountain": ("mountain peak",),
}  # clouds, a WordNet part of the sky, are painted over it as in the multilabel world (the sky's mask excludes them)
MIN_PIXELS = 4  # a label is present iff at least this many of its pixels are visible (128 px scenes)
TRAINED_ON = (
    "128x128 procedural outdoor scenes of the zero-shot v2 world (vtl_models/zeroshot/world.py, drawn by "
    "world_render.py with the multilabel renderer's landscape helpers): 41 WordNet labels, things drawn with their "
    "parts and every image holding the kinds of what it shows; no real photos"
)


def kind_members(ancestors: list[dict[int, int]], synsets: list[int]) -> dict[int, list[int]]:
    """Label position -> positions of the other labels whose synset lies under it (WordNet hypernym closure):
    a kind is present iff one of these is. `ancestors[k]` is label k's hypernym closure."""
    return {
        k: [j for j in range(len(synsets)) if j != k and synsets[k] in ancestors[j]]
        for k in range(len(synsets))
        if any(j != k and synsets[k] in ancestors[j] for j in range(len(synsets)))
    }
