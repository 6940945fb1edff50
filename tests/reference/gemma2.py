import gemma


def forward(W, cfg, ids):
    return gemma.forward(W, cfg, ids, 2)
