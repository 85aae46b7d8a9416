"""The computational graph of one GAN step, drawn with matplotlib alone (no Graphviz).

As micrograd draws its graphs: one box per tensor, arrows from inputs to the op's output.
minigan's tensor is its own graph node (``_op`` names the op that made it, ``_parents``
its inputs), so the graph is read by walking back from the loss. Each box shows the
op (or the leaf's name), the shape, and the norm of the gradient of the loss with respect
to that tensor, computed with ``minigan.grad``: boxes that receive a gradient are orange,
the rest gray. The ``detach()`` that keeps the D step away from G is drawn as a cut edge.

    from minigan.viz.graph import gan_step_graph
    gan_step_graph("out/graph.png")
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from ..autograd import grad
from ..tensor import Tensor
from .figures import _figure, save_figure

__all__ = ["Graph", "draw_graph", "gan_step_graph", "trace"]

GRAD_FILL, GRAD_EDGE = "#fdd49e", "#d94801"
NONE_FILL, NONE_EDGE = "#eeeeee", "#999999"
CUT_COLOR = "#cb181d"
_SHORT = {
    "binary_cross_entropy_with_logits": "BCE with logits",
    "leaky_relu": "LeakyReLU", "linear": "Linear: x Wᵀ + b", "add": "+", "sub": "−", "mul": "×",
    "neg": "−x", "mean": "mean", "sum": "sum", "tanh": "tanh", "sigmoid": "σ", "relu": "ReLU",
}


@dataclass
class Graph:
    """Nodes (tensors) of one backward pass, their edges, and what the picture says of each.

    nodes: tensors in topological order; edges: (parent index, child index); cuts: (index
    of the tensor before detach(), index of the detached copy); labels: one text per node;
    grad_norms: ||dL/dt|| per node (None where no gradient reaches it); stepped: indices
    of the parameters this step updates."""

    nodes: list[Tensor]
    edges: list[tuple[int, int]]
    cuts: list[tuple[int, int]] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    grad_norms: list[float | None] = field(default_factory=list)
    stepped: set[int] = field(default_factory=set)


def _op_name(t: Tensor) -> str:
    name = getattr(t._op, "name", type(t._op).__name__)
    return _SHORT.get(name, name)


def trace(loss: Tensor, names: dict[int, str], detached: dict[int, Tensor] | None = None,
          stepped: set[int] | None = None) -> Graph:
    """The graph behind ``loss``: walk ``_parents`` back from it (and, through each
    detached copy listed in ``detached`` {id(copy): original}, on into the original's
    graph, which the loss cannot reach). names: {id(tensor): label} for the leaves (and any
    node) to name; stepped: ids of the parameters the step updates. Gradients of ``loss``
    with respect to every node are taken with ``minigan.grad`` (retain_graph=True), so
    call this before ``backward()`` frees the graph."""
    detached = detached or {}
    order: list[Tensor] = []
    index: dict[int, int] = {}
    stack = [loss]
    while stack:  # iterative DFS; a post-order gives a topological order
        t = stack[-1]
        if id(t) in index:
            stack.pop()
            continue
        parents = list(t._parents or ())
        if id(t) in detached:
            parents.append(detached[id(t)])
        todo = [p for p in parents if isinstance(p, Tensor) and id(p) not in index]
        if todo:
            stack.extend(todo)
            continue
        stack.pop()
        index[id(t)] = len(order)
        order.append(t)
    edges = [(index[id(p)], index[id(t)]) for t in order for p in (t._parents or ()) if isinstance(p, Tensor)]
    cuts = [(index[id(orig)], index[copy_id]) for copy_id, orig in detached.items() if copy_id in index]
    wants = [i for i, t in enumerate(order) if t.requires_grad]
    grads = grad(loss, [order[i] for i in wants], retain_graph=True, allow_unused=True)
    norms: list[float | None] = [None] * len(order)
    for i, g in zip(wants, grads):
        if g is not None:
            norms[i] = float(np.sqrt(np.sum(np.square(np.asarray(g.to("cpu").numpy(), np.float64)))))
    labels = []
    for t in order:
        head = names.get(id(t)) or (_op_name(t) if t._op is not None else "constant")
        labels.append(f"{head}\n{tuple(t.shape)}")
    stepped_idx = {index[i] for i in (stepped or set()) if i in index}
    return Graph(order, edges, cuts, labels, norms, stepped_idx)


# ---- layout and drawing ----------------------------------------------------------------------
def _layout(g: Graph, sweeps: int = 6) -> np.ndarray:
    """(column, row) per node. Columns count back from the loss (the longest path to it), so
    the two uses of D in the D step line up and share their parameters; rows are ordered
    by the barycentre heuristic of layered graph drawing (Sugiyama et al. 1981), sweeping
    left to right by the inputs' rows and right to left by the outputs' rows."""
    n = len(g.nodes)
    parents: list[list[int]] = [[] for _ in range(n)]
    children: list[list[int]] = [[] for _ in range(n)]
    for a, b in g.edges + g.cuts:
        parents[b].append(a)
        children[a].append(b)
    dist = np.zeros(n, int)
    for i in reversed(range(n)):  # reverse topological order: children first
        if children[i]:
            dist[i] = 1 + max(dist[c] for c in children[i])
    col = dist.max() - dist
    columns = [[i for i in range(n) if col[i] == c] for c in range(col.max() + 1)]
    row = np.zeros(n)
    for members in columns:
        for r, i in enumerate(members):
            row[i] = r - (len(members) - 1) / 2

    def place(members, neighbours):
        key = [np.mean([row[j] for j in neighbours[i]]) if neighbours[i] else row[i] for i in members]
        ordered = [members[k] for k in np.argsort(key, kind="stable")]
        for r, i in enumerate(ordered):
            row[i] = r - (len(ordered) - 1) / 2

    for _ in range(sweeps):
        for members in columns[1:]:
            place(members, parents)
        for members in reversed(columns[:-1]):
            place(members, children)
    return np.stack([col.astype(float), row], axis=1)


def draw_graph(ax, g: Graph, title: str) -> None:
    """Boxes and arrows of ``g`` on ``ax``: orange where the loss sends a gradient (with its
    norm), gray where none arrives, a thick border on the parameters this step updates, and
    a red dashed edge for each detach() cut."""
    from matplotlib.patches import FancyArrowPatch

    pos = _layout(g)
    pos[:, 0] *= 2.4
    pos[:, 1] *= 1.25
    boxes = {}
    for i, (x, y) in enumerate(pos):
        norm = g.grad_norms[i]
        text = g.labels[i] + ("\n‖∂L/∂·‖ = " + f"{norm:.2g}" if norm is not None else "\nno gradient")
        fill, edge = (GRAD_FILL, GRAD_EDGE) if norm is not None else (NONE_FILL, NONE_EDGE)
        lw = 2.6 if i in g.stepped else 0.9
        boxes[i] = ax.text(x, y, text, ha="center", va="center", fontsize=8, zorder=3,
                           bbox={"boxstyle": "round,pad=0.35", "fc": fill, "ec": edge, "lw": lw})
    for a, b in g.edges:
        ax.add_patch(FancyArrowPatch(pos[a], pos[b], arrowstyle="-|>", mutation_scale=8, lw=0.8,
                                     color="0.35", shrinkA=26, shrinkB=26, zorder=1,
                                     connectionstyle="arc3,rad=0.0"))
    for a, b in g.cuts:
        ax.add_patch(FancyArrowPatch(pos[a], pos[b], arrowstyle="-|>", mutation_scale=8, lw=1.6, ls="--",
                                     color=CUT_COLOR, shrinkA=26, shrinkB=26, zorder=2))
        mid = (pos[a] + pos[b]) / 2
        ax.text(mid[0] - 0.35, mid[1] - 0.15, "✂ detach(): no gradient\npasses back to G", ha="right", va="top",
                fontsize=7.5, color=CUT_COLOR, fontweight="bold", zorder=4,
                bbox={"fc": "white", "ec": "none", "alpha": 0.85, "pad": 1})
    ax.set_xlim(pos[:, 0].min() - 1.3, pos[:, 0].max() + 1.3)
    ax.set_ylim(pos[:, 1].min() - 0.8, pos[:, 1].max() + 0.8)
    ax.set_title(title, fontsize=11, loc="left")
    ax.axis("off")


# ---- the GAN step ------------------------------------------------------------------------------
def _param_names(module, player: str) -> dict[int, str]:
    """{id(parameter): "G layer 1 weight"}: layers counted among those with parameters."""
    names, layer, last = {}, 0, None
    for name, p in module.named_parameters():
        prefix = name.rsplit(".", 1)[0]
        if prefix != last:
            layer, last = layer + 1, prefix
        names[id(p)] = f"{player} layer {layer} {name.rsplit('.', 1)[-1]}"
    return names


def gan_step_graph(path: str | os.PathLike, batch: int = 8, hidden: int = 4, seed: int = 0,
                   g_loss: str = "non-saturating") -> str:
    """Draw the two halves of one iteration of Algorithm 1 for a small MLP GAN (2-D data,
    one hidden layer of ``hidden`` units in G and in D, a minibatch of ``batch``): the D
    step, where G(z) is detached so that no gradient reaches G, and the G step, where the
    gradient flows back through D into G. Returns the path of the PNG."""
    from .. import nn
    from ..creation import tensor
    from ..gan import losses
    from ..random import manual_seed

    manual_seed(seed)
    rng = np.random.default_rng(seed)
    G = nn.mlp([2, hidden, 2], activation=nn.LeakyReLU(0.2))
    D = nn.mlp([2, hidden, 1], activation=nn.LeakyReLU(0.2))
    names = {**_param_names(G, "G"), **_param_names(D, "D")}
    x = tensor(rng.normal(size=(batch, 2)).astype(np.float32))
    z = tensor(rng.normal(size=(batch, 2)).astype(np.float32))
    z2 = tensor(rng.normal(size=(batch, 2)).astype(np.float32))
    names.update({id(x): "x: real minibatch", id(z): "z ~ p_z", id(z2): "z ~ p_z"})

    fake = G(z)
    fake_d = fake.detach()
    names[id(fake)] = "G(z)"
    names[id(fake_d)] = "G(z).detach()"
    d_real, d_fake = D(x), D(fake_d)
    names[id(d_real)], names[id(d_fake)] = "D(x): logit", "D(G(z)): logit"
    d_loss = losses.discriminator_loss(d_real, d_fake)
    names[id(d_loss)] = "L_D"
    d_params = {id(p) for p in D.parameters()}
    g_params = {id(p) for p in G.parameters()}
    d_graph = trace(d_loss, names, detached={id(fake_d): fake}, stepped=d_params)

    fake2 = G(z2)
    out2 = D(fake2)
    names[id(fake2)], names[id(out2)] = "G(z)", "D(G(z)): logit"
    l_g = losses.generator_loss(out2, g_loss)
    names[id(l_g)] = "L_G"
    g_graph = trace(l_g, names, stepped=g_params)
    _name_targets(d_graph)
    _name_targets(g_graph)

    spans = [np.ptp(_layout(g)[:, 1]) + 1.6 for g in (d_graph, g_graph)]
    fig = _figure(16, 3.0 + 1.05 * sum(spans))
    top, bottom = fig.subplots(2, 1, height_ratios=spans)
    draw_graph(top, d_graph, "D step: L_D = BCE(D(x), 1) + BCE(D(G(z)), 0); "
               "G(z) is detached, so L_D's gradient stops there and only D's parameters move")
    draw_graph(bottom, g_graph, f"G step ({g_loss} loss): L_G's gradient flows back through D "
               "into G; only G's optimizer steps (D's gradients are not used)")
    _graph_legend(fig)
    fig.suptitle("The computational graph of one GAN iteration (Algorithm 1, k = 1), "
                 f"batch {batch}: each box is a tensor", fontsize=13)
    return save_figure(fig, path)


def _name_targets(g: Graph) -> None:
    # the constant targets of BCE (all ones / all zeros) are the only nameless leaves
    for i, t in enumerate(g.nodes):
        if t._op is None and not t.requires_grad and g.labels[i].startswith("constant"):
            value = float(np.asarray(t.to("cpu").numpy()).reshape(-1)[0]) if t.array.size else 0.0
            g.labels[i] = f"target {value:g}\n{tuple(t.shape)}"


def _graph_legend(fig) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [
        Patch(fc=GRAD_FILL, ec=GRAD_EDGE, label="receives a gradient from the loss (norm shown)"),
        Patch(fc=NONE_FILL, ec=NONE_EDGE, label="no gradient reaches it"),
        Patch(fc="white", ec="k", lw=2.6, label="a parameter this step updates"),
        Line2D([], [], color=CUT_COLOR, ls="--", lw=1.6, label="detach(): the edge autograd does not follow"),
        Line2D([], [], color="0.35", lw=0.8, marker=">", ms=4, label="forward: input → op's output"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncol=5, fontsize=9)
