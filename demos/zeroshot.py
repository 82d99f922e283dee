"""Tab: Zero-shot labels. (ML-ZSL with structured knowledge graphs, CVPR 2018)"""

import functools

from demos.common import placeholder_demo

# The zeroshot model is not trained yet: the tab says so instead of showing fake output.
create_demo = functools.partial(
    placeholder_demo,
    "zeroshot",
    "Give an image and any label names, even ones never trained; get scores and the knowledge-graph edges behind them.",
)
