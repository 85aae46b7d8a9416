"""The PyTorch names minigan offers for PyTorch code (issue 12), each against PyTorch itself:
utils.data, the loss modules, Variable, legacy constructors, containers, Flatten/Unflatten,
Embedding, set_num_threads, the module layout, and argument errors in PyTorch's words."""
from __future__ import annotations

import importlib
import re
import warnings

import numpy as np
import pytest
import torch
import torch.utils.data as tdata

import minigan as mg
from minigan import nn
from minigan.autograd import Variable
from minigan.utils import data as mdata


def _np(shape, seed=0, lo=-2.0, hi=2.0):
    return np.random.default_rng(seed).uniform(lo, hi, size=shape)


def _pair(arr, rg=False):
    """The same float64 values as a minigan and a torch tensor."""
    return (mg.tensor(arr, dtype=mg.float64, requires_grad=rg),
            torch.tensor(arr, dtype=torch.float64, requires_grad=rg))


def _same(a, b, tol=1e-12):
    a = a.numpy() if isinstance(a, mg.Tensor) else np.asarray(a)
    b = b.detach().numpy() if isinstance(b, torch.Tensor) else np.asarray(b)
    assert a.shape == b.shape, f"shapes differ: minigan {a.shape}, torch {b.shape}"
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


# ---- module layout -------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["minigan.nn.functional", "minigan.nn.init", "minigan.optim",
                                  "minigan.autograd", "minigan.utils.data", "minigan.cuda"])
def test_module_layout_mirrors_pytorch(name):
    mod = importlib.import_module(name)
    twin = importlib.import_module(name.replace("minigan", "torch"))
    assert mod is not None and twin is not None


def test_nn_functional_is_minigan_functional():
    import minigan.nn.functional as F

    assert F is mg.functional and F.binary_cross_entropy_with_logits is mg.functional.binary_cross_entropy_with_logits


# ---- loss modules -----------------------------------------------------------------------------
def _loss_inputs(name):
    rng = np.random.default_rng(1)
    if name == "BCELoss":
        x = rng.uniform(0.05, 0.95, size=(5, 3))
    else:
        x = rng.standard_normal((5, 3))
    y = rng.uniform(0, 1, size=(5, 3)) if name.startswith("BCE") else rng.standard_normal((5, 3))
    if name == "L1Loss":  # keep |x - y| away from its kink at 0
        y = x + np.where(rng.random((5, 3)) < 0.5, -1, 1) * rng.uniform(0.2, 1, size=(5, 3))
    return x, y


LOSS_KW = [
    ("BCELoss", {}), ("BCELoss", {"reduction": "sum"}), ("BCELoss", {"reduction": "none"}),
    ("BCELoss", {"weight": "w"}),
    ("BCEWithLogitsLoss", {}), ("BCEWithLogitsLoss", {"reduction": "sum"}),
    ("BCEWithLogitsLoss", {"weight": "w", "pos_weight": "pw"}), ("BCEWithLogitsLoss", {"reduction": "none"}),
    ("MSELoss", {}), ("MSELoss", {"reduction": "sum"}), ("MSELoss", {"reduction": "none"}),
    ("L1Loss", {}), ("L1Loss", {"reduction": "sum"}), ("L1Loss", {"reduction": "none"}),
]


def _build(lib, name, kw, w, pw):
    kw = dict(kw)
    if kw.get("weight") == "w":
        kw["weight"] = w
    if kw.get("pos_weight") == "pw":
        kw["pos_weight"] = pw
    return getattr(lib.nn, name)(**kw)


@pytest.mark.parametrize("name,kw", LOSS_KW, ids=lambda v: str(v))
def test_loss_module_matches_torch_in_value_and_gradient(name, kw):
    x, y = _loss_inputs(name)
    wm, wt = _pair(_np((3,), seed=2, lo=0.5, hi=2.0))
    pm, pt = _pair(_np((3,), seed=3, lo=0.5, hi=2.0))
    xm, xt = _pair(x, rg=True)
    ym, yt = _pair(y)
    lm = _build(mg, name, kw, wm, pm)(xm, ym)
    lt = _build(torch, name, kw, wt, pt)(xt, yt)
    _same(lm, lt)
    g = np.random.default_rng(4).standard_normal(lt.shape)
    lm.backward(mg.tensor(g, dtype=mg.float64))
    lt.backward(torch.tensor(g))
    _same(xm.grad, xt.grad)


@pytest.mark.parametrize("name,kw", LOSS_KW, ids=lambda v: str(v))
def test_loss_module_passes_gradcheck_and_gradgradcheck(name, kw):
    x, y = _loss_inputs(name)
    wm, _ = _pair(_np((3,), seed=2, lo=0.5, hi=2.0))
    pm, _ = _pair(_np((3,), seed=3, lo=0.5, hi=2.0))
    loss = _build(mg, name, kw, wm, pm)
    xm, ym = _pair(x, rg=True)[0], _pair(y)[0]
    assert mg.gradcheck(lambda a: loss(a, ym), (xm,))
    assert mg.gradgradcheck(lambda a: loss(a, ym), (xm,))


def test_loss_module_weights_are_buffers_in_the_state_dict_as_in_torch():
    w = np.array([1.0, 2.0])
    m = nn.BCEWithLogitsLoss(weight=mg.tensor(w), pos_weight=mg.tensor(w))
    t = torch.nn.BCEWithLogitsLoss(weight=torch.tensor(w), pos_weight=torch.tensor(w))
    assert list(m.state_dict()) == list(t.state_dict()) == ["weight", "pos_weight"]
    assert list(nn.MSELoss().state_dict()) == list(torch.nn.MSELoss().state_dict()) == []


def test_legacy_size_average_and_reduce_map_to_reduction_as_in_torch():
    for sa, red in [(False, None), (None, False), (True, True)]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert nn.MSELoss(size_average=sa, reduce=red).reduction == \
                torch.nn.MSELoss(size_average=sa, reduce=red).reduction


def test_loss_module_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"target size \(3,\) must be the same as input size \(2,\)"):
        nn.BCEWithLogitsLoss()(mg.zeros(2), mg.zeros(3))
    with pytest.raises(ValueError, match="same as input size"):
        nn.BCELoss()(mg.full((2,), 0.5), mg.zeros(3))
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.BCELoss()(mg.full((2,), 2.0), mg.zeros(2))
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.MSELoss(reduction="avg")(mg.zeros(2), mg.zeros(2))
    with pytest.raises(ValueError, match=r"\(2, 1\) and target of shape \(2,\)"):
        nn.L1Loss()(mg.zeros(2, 1), mg.zeros(2))
    with pytest.raises(TypeError, match="must be Tensor, not numpy.ndarray"):
        nn.MSELoss()(np.zeros(2), mg.zeros(2))
    with pytest.raises(TypeError, match="weight must be a Tensor or None, not list"):
        nn.BCELoss(weight=[1.0, 2.0])


# ---- utils.data ---------------------------------------------------------------------------------
def test_tensor_dataset_and_sequential_loader_give_torch_batches():
    x, y = _np((10, 3)), np.arange(10)
    ml = mdata.DataLoader(mdata.TensorDataset(mg.tensor(x), mg.tensor(y)), batch_size=4)
    tl = tdata.DataLoader(tdata.TensorDataset(torch.tensor(x), torch.tensor(y)), batch_size=4)
    assert len(ml) == len(tl) == 3
    for (bx, by), (tx, ty) in zip(ml, tl, strict=True):
        _same(bx, tx)
        _same(by, ty)
        assert str(by.dtype) == "int64"


@pytest.mark.parametrize("n,bs,drop", [(10, 4, False), (10, 4, True), (8, 4, True), (3, 5, False), (3, 5, True)])
def test_loader_length_and_last_batch_follow_drop_last_as_in_torch(n, bs, drop):
    ml = mdata.DataLoader(list(range(n)), batch_size=bs, drop_last=drop)
    tl = tdata.DataLoader(list(range(n)), batch_size=bs, drop_last=drop)
    assert len(ml) == len(tl)
    assert [b.tolist() for b in ml] == [b.tolist() for b in tl]


def test_shuffled_order_is_a_fresh_permutation_each_epoch_fixed_by_the_seed():
    ds = list(range(20))

    def epochs(loader):
        return [[i for b in loader for i in b.tolist()] for _ in range(3)]

    a = epochs(mdata.DataLoader(ds, batch_size=6, shuffle=True, generator=mg.Generator().manual_seed(5)))
    b = epochs(mdata.DataLoader(ds, batch_size=6, shuffle=True, generator=mg.Generator().manual_seed(5)))
    assert a == b, "the same generator seed must give the same order"
    assert all(sorted(e) == ds for e in a), "each epoch must visit every sample once"
    assert a[0] != a[1] != a[2], "each epoch must draw a new permutation"
    mg.manual_seed(3)
    c = epochs(mdata.DataLoader(ds, batch_size=6, shuffle=True))
    mg.manual_seed(3)
    d = epochs(mdata.DataLoader(ds, batch_size=6, shuffle=True))
    assert c == d, "without a generator the order must follow mg.manual_seed"


def test_generator_matches_manual_seed_stream():
    g = mg.Generator().manual_seed(11)
    a = mg.randn(4, generator=g)
    mg.manual_seed(11)
    assert np.array_equal(a.numpy(), mg.randn(4).numpy())
    assert g.initial_seed() == 11


def test_default_collate_matches_torch_on_numbers_arrays_tuples_and_dicts():
    cases = [
        [1, 2, 3],
        [1.5, 2.5],
        [True, False],
        [np.float32(1.0), np.float32(2.0)],
        [np.zeros((2, 2), dtype=np.float32), np.ones((2, 2), dtype=np.float32)],
        [(1, 2.0), (3, 4.0)],
        [{"a": np.arange(3), "b": 1.0}, {"a": np.arange(3) + 1, "b": 2.0}],
        [("x", 1), ("y", 2)],
    ]

    def check(m, t):
        if isinstance(t, torch.Tensor):
            assert isinstance(m, mg.Tensor)
            assert str(m.dtype) == str(t.dtype).replace("torch.", "")
            _same(m, t)
        elif isinstance(t, dict):
            assert list(m) == list(t)
            for k in t:
                check(m[k], t[k])
        elif isinstance(t, list):
            assert isinstance(m, list) and len(m) == len(t)
            for a, b in zip(m, t):
                check(a, b)
        else:
            assert m == t

    for batch in cases:
        check(mdata.default_collate(batch), tdata.default_collate(batch))


def test_loader_without_batching_and_with_samplers_matches_torch():
    ds = list(range(7))
    assert list(mdata.DataLoader(ds, batch_size=None)) == list(tdata.DataLoader(ds, batch_size=None))
    bs = mdata.BatchSampler(mdata.SequentialSampler(ds), 3, False)
    assert list(bs) == list(tdata.BatchSampler(tdata.SequentialSampler(ds), 3, False))
    ml = mdata.DataLoader(ds, batch_sampler=bs)
    assert [b.tolist() for b in ml] == [[0, 1, 2], [3, 4, 5], [6]]
    ml = mdata.DataLoader(ds, sampler=[6, 0, 3], batch_size=2)
    assert [b.tolist() for b in ml] == [[6, 0], [3]]


def test_random_split_and_subset_partition_the_dataset():
    parts = mdata.random_split(list(range(10)), [0.5, 0.3, 0.2], generator=mg.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [len(p) for p in tdata.random_split(range(10), [0.5, 0.3, 0.2])]
    assert sorted(i for p in parts for i in p) == list(range(10))


def test_custom_dataset_subclass_works_with_the_loader():
    class Squares(mdata.Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return np.array([i, i * i], dtype=np.float32), i

    (xb, yb), *_ = list(mdata.DataLoader(Squares(), batch_size=5))
    assert xb.shape == (5, 2) and yb.tolist() == [0, 1, 2, 3, 4]


def test_data_errors_are_in_pytorch_words():
    with pytest.raises(ValueError, match="batch_size should be a positive integer value, but got batch_size=0"):
        mdata.DataLoader([1, 2], batch_size=0)
    with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
        mdata.DataLoader([1, 2], shuffle=True, sampler=[0, 1])
    with pytest.raises(ValueError, match="num_workers option should be non-negative"):
        mdata.DataLoader([1, 2], num_workers=-1)
    with pytest.raises(ValueError, match=r"Size mismatch between tensors.*\[2, 3\]"):
        mdata.TensorDataset(mg.zeros(2), mg.zeros(3))
    with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size, but got \[2\] at entry 0 "
                                           r"and \[3\] at entry 1"):
        list(mdata.DataLoader([mg.zeros(2), mg.zeros(3)], batch_size=2))
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors"):
        list(mdata.DataLoader([object(), object()], batch_size=2))
    with pytest.raises(TypeError, match="generator must be a minigan.Generator"):
        mdata.DataLoader([1], shuffle=True, generator=3)


# ---- Variable, grad --------------------------------------------------------------------------------
def test_variable_is_a_detached_tensor_as_in_torch():
    base = mg.tensor([1.0, 2.0], requires_grad=True)
    v = Variable(base * 2)
    tv = torch.autograd.Variable(torch.tensor([1.0, 2.0], requires_grad=True) * 2)
    assert v.requires_grad == tv.requires_grad and v.is_leaf == tv.is_leaf
    w = Variable(mg.zeros(2), requires_grad=True)
    assert w.requires_grad and w.is_leaf and isinstance(w, Variable) and isinstance(w, mg.Tensor)
    x = mg.zeros(2)
    Variable(x).fill_(3.0)
    assert x.tolist() == [3.0, 3.0], "Variable(x) shares x's storage"
    with pytest.warns(UserWarning, match="volatile was removed"):
        assert not Variable(mg.zeros(2), volatile=True).requires_grad
    with pytest.raises(TypeError, match="Variable data has to be a tensor, but got list"):
        Variable([1.0])
    with pytest.raises(RuntimeError, match="only tensors of floating point dtype can require gradients"):
        Variable(mg.tensor([1, 2]), requires_grad=True)


def test_grad_accepts_only_inputs_and_materializes_unused_grads():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    u = mg.tensor([1.0], requires_grad=True)
    (g,) = mg.grad((x * x).sum(), x, only_inputs=True)
    assert g.tolist() == [2.0, 4.0]
    _, gu = mg.autograd.grad((x * x).sum(), [x, u], materialize_grads=True)
    assert gu.tolist() == [0.0]


# ---- legacy constructors ------------------------------------------------------------------------
@pytest.mark.parametrize("expr", ["Tensor(2, 3)", "Tensor()", "Tensor([1, 2])", "Tensor((2, 3))", "Tensor(3)",
                                  "FloatTensor(2, 1)", "FloatTensor([[1, 2]])", "DoubleTensor([1, 2])",
                                  "LongTensor([1.5, 2.7])", "FloatTensor(np.arange(3))", "Tensor([[1.5], [2]])",
                                  "DoubleTensor(np.array([1.5, 2], dtype=np.float32))", "BoolTensor([1, 0])",
                                  "Tensor(np.arange(3))", "Tensor(np.array([0.1, 0.2]))", "Tensor(np.array([True]))"])
def test_legacy_constructors_give_torch_shapes_and_dtypes(expr):
    m = eval(expr, {"np": np, **{k: getattr(mg, k) for k in dir(mg)}})
    t = eval(expr, {"np": np, **{k: getattr(torch, k) for k in dir(torch)}})
    assert m.shape == tuple(t.shape)
    assert str(m.dtype) == str(t.dtype).replace("torch.", "")
    if "[" in expr or "np." in expr or "((" in expr:  # data, not sizes (sizes: uninitialised in torch)
        _same(m.double(), t.double())


def test_tensor_of_a_float32_array_shares_it_as_in_torch():
    a = np.zeros(2, dtype=np.float32)
    mg.Tensor(a).fill_(3.0)
    b = np.zeros(2, dtype=np.float32)
    torch.Tensor(b).fill_(3.0)
    assert a.tolist() == b.tolist() == [3.0, 3.0]
    c = np.zeros(2)
    mg.Tensor(c).fill_(3.0)
    assert c.tolist() == [0.0, 0.0], "a float64 array is cast, so copied"


def test_legacy_constructor_by_size_is_zero_filled_and_fillable():
    Tensor = mg.FloatTensor
    valid = Tensor(4, 1).fill_(1.0)
    assert valid.shape == (4, 1) and valid.dtype == mg.float32 and valid.tolist() == [[1.0]] * 4
    assert mg.Tensor(2, 2).tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_isinstance_checks_dtype_as_in_torch():
    assert isinstance(mg.zeros(2), mg.FloatTensor) == isinstance(torch.zeros(2), torch.FloatTensor) is True
    z64 = mg.zeros(2, dtype=mg.float64)
    assert isinstance(z64, mg.FloatTensor) is False and isinstance(z64, mg.DoubleTensor)
    assert not isinstance(mg.zeros(2), mg.cuda.FloatTensor)


def test_legacy_constructor_errors_are_in_pytorch_words():
    with pytest.raises(RuntimeError, match=r"Trying to create tensor with negative dimension -1: \[-1\]"):
        mg.Tensor(-1)
    with pytest.raises(TypeError, match=r"data must be a sequence \(got float\)"):
        mg.Tensor(3.0)
    with pytest.raises(TypeError, match="must be a tuple of ints, but found element of type float at pos 1"):
        mg.Tensor(2, 3.0)
    with pytest.raises(TypeError, match="expected a tensor of dtype float32"):
        mg.FloatTensor(mg.tensor([1, 2]))


# ---- containers and layers -----------------------------------------------------------------------
def test_module_list_registers_and_indexes_as_in_torch():
    ml = nn.ModuleList([nn.Linear(2, 3), nn.ReLU()])
    ml.append(nn.Linear(3, 1))
    ml.extend([nn.Sigmoid()])
    tl = torch.nn.ModuleList([torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1), torch.nn.Sigmoid()])
    assert list(ml.state_dict()) == list(tl.state_dict())
    assert len(ml) == 4 and isinstance(ml[-1], nn.Sigmoid) and isinstance(ml[1:3], nn.ModuleList)
    del ml[1]
    assert [type(m).__name__ for m in ml] == ["Linear", "Linear", "Sigmoid"]
    assert list(ml.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    ml.insert(0, nn.Identity())
    assert type(ml[0]).__name__ == "Identity" and next(iter(ml.state_dict())) == "1.weight"
    with pytest.raises(IndexError, match="index 9 is out of range"):
        ml[9]
    with pytest.raises(TypeError, match="int is not a Module subclass"):
        nn.ModuleList([1])


def test_module_dict_registers_by_key_as_in_torch():
    md = nn.ModuleDict({"enc": nn.Linear(2, 3), "act": nn.ReLU()})
    md["dec"] = nn.Linear(3, 2)
    td = torch.nn.ModuleDict({"enc": torch.nn.Linear(2, 3), "act": torch.nn.ReLU(), "dec": torch.nn.Linear(3, 2)})
    assert list(md.state_dict()) == list(td.state_dict())
    assert list(md) == list(td) and "act" in md and len(md) == 3
    md.pop("act")
    assert list(md.keys()) == ["enc", "dec"]
    with pytest.raises(KeyError):
        md["nope"]


def test_modules_in_containers_move_with_the_owner():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleList([nn.Linear(2, 2) for _ in range(2)])

        def forward(self, x):
            for b in self.blocks:
                x = b(x)
            return x

    net = Net().double()
    assert all(p.dtype == mg.float64 for p in net.parameters()) and len(list(net.parameters())) == 4


@pytest.mark.parametrize("mod,shape", [(("Flatten", ()), (2, 3, 4)), (("Flatten", (0, 1)), (2, 3, 4)),
                                       (("Unflatten", (1, (2, 3))), (4, 6)), (("Unflatten", (-1, (2, -1))), (4, 6))])
def test_flatten_and_unflatten_match_torch(mod, shape):
    name, args = mod
    x = _np(shape)
    xm, xt = _pair(x, rg=True)
    _same(getattr(nn, name)(*args)(xm), getattr(torch.nn, name)(*args)(xt))
    assert mg.gradcheck(getattr(nn, name)(*args), (xm,))


def test_unflatten_error_is_in_pytorch_words():
    with pytest.raises(RuntimeError, match=r"Provided sizes \[2, 2\] don't multiply up to the size of dim 1 \(3\)"):
        nn.Unflatten(1, (2, 2))(mg.zeros(2, 3))


def test_embedding_matches_torch_with_repeats_and_padding():
    w = _np((5, 3), seed=7)
    idx = np.array([[0, 2, 2], [4, 0, 1]])
    for pad in (None, 2, -1):
        m = nn.Embedding(5, 3, padding_idx=pad, _weight=mg.tensor(w, dtype=mg.float64))
        t = torch.nn.Embedding(5, 3, padding_idx=pad, _weight=torch.tensor(w))
        assert m.padding_idx == t.padding_idx
        ym, yt = m(mg.tensor(idx)), t(torch.tensor(idx))
        _same(ym, yt)
        g = _np(yt.shape, seed=8)
        ym.backward(mg.tensor(g, dtype=mg.float64))
        yt.backward(torch.tensor(g))
        _same(m.weight.grad, t.weight.grad)


def test_embedding_passes_gradcheck_and_gradgradcheck():
    idx = mg.tensor([[0, 2, 2], [4, 0, 1]])
    w = mg.tensor(_np((5, 3), seed=9), dtype=mg.float64, requires_grad=True)
    import minigan.nn.functional as F

    # squared so that the second derivative is not zero; padding_idx's zero gradient is a
    # convention, not the derivative, so it is checked against torch above instead
    assert mg.gradcheck(lambda w: F.embedding(idx, w) ** 2, (w,))
    for pad in (None, 0):
        assert mg.gradgradcheck(lambda w: F.embedding(idx, w, pad) ** 2, (w,))


def test_embedding_init_and_padding_row_as_in_torch():
    mg.manual_seed(0)
    e = nn.Embedding(1000, 4, padding_idx=3)
    w = e.weight.numpy()
    assert w[3].tolist() == [0.0] * 4
    assert abs(w.mean()) < 0.1 and abs(w.std() - 1) < 0.1, "weights are drawn from N(0, 1)"
    frozen = nn.Embedding.from_pretrained(mg.zeros(3, 2))
    assert not frozen.weight.requires_grad


def test_embedding_errors_are_in_pytorch_words():
    e = nn.Embedding(3, 2)
    with pytest.raises(RuntimeError, match="'indices' to have one of the following scalar types: Long, Int"):
        e(mg.tensor([1.0]))
    with pytest.raises(IndexError, match="index out of range in self"):
        e(mg.tensor([3]))
    with pytest.raises(IndexError, match="index out of range in self"):
        e(mg.tensor([-1]))
    with pytest.raises(TypeError, match=r"embedding\(\): argument 'indices' \(position 2\) must be Tensor, not list"):
        e([1])
    with pytest.raises(ValueError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(3, 2, padding_idx=3)


@pytest.mark.parametrize("layer", ["Linear", "ReLU", "Sigmoid", "Tanh", "LeakyReLU", "Dropout", "Flatten",
                                   "BatchNorm1d"])
def test_non_tensor_input_to_a_module_is_named_as_in_torch(layer):
    args = {"Linear": (2, 3), "BatchNorm1d": (2,)}.get(layer, ())
    m = getattr(nn, layer)(*args)
    with pytest.raises(TypeError, match=r"\(\): argument 'input' \(position 1\) must be Tensor, not numpy.ndarray"):
        m(np.zeros((2, 2), dtype=np.float32))
    if layer not in ("Flatten", "BatchNorm1d"):  # torch itself says "'numpy.ndarray' object has no attribute"
        with pytest.raises(TypeError, match="must be Tensor, not numpy.ndarray"):
            getattr(torch.nn, layer)(*args)(np.zeros((2, 2), dtype=np.float32))


# ---- threads -------------------------------------------------------------------------------------
def test_set_num_threads_limits_blas_and_checks_its_argument():
    before = mg.get_num_threads()
    try:
        mg.set_num_threads(1)
        assert mg.get_num_threads() == 1
    finally:
        mg.set_num_threads(max(before, 1))
    with pytest.raises(RuntimeError, match="set_num_threads expects a positive integer"):
        mg.set_num_threads(0)
    with pytest.raises(RuntimeError, match="set_num_threads expects an int, but got float"):
        mg.set_num_threads(2.0)


# ---- small common names: repeat, split, chunk, randperm, new_*, is_tensor -----------------------
@pytest.mark.parametrize("shape,sizes", [((2, 3), (2, 1)), ((3,), (2, 2)), ((2, 1, 2), (1, 3, 2)), ((2,), (3,))])
def test_repeat_matches_torch_and_passes_gradcheck(shape, sizes):
    from minigan.ops.shape import repeat

    xm, xt = _pair(_np(shape), rg=True)
    _same(repeat(xm, *sizes), xt.repeat(*sizes))
    assert mg.gradcheck(lambda a: repeat(a, *sizes), (xm,))
    assert mg.gradgradcheck(lambda a: repeat(a, *sizes) ** 2, (xm,))


@pytest.mark.parametrize("how", [("split", 2, 1), ("split", [1, 3], 1), ("chunk", 3, 1), ("chunk", 2, 0),
                                 ("split", 5, 1), ("chunk", 4, -1)])
def test_split_and_chunk_match_torch_and_pass_gradcheck(how):
    from minigan.ops import shape as S

    name, arg, dim = how
    xm, xt = _pair(_np((2, 4)), rg=True)
    pm, pt = getattr(S, name)(xm, arg, dim), getattr(torch, name)(xt, arg, dim)
    assert len(pm) == len(pt)
    for a, b in zip(pm, pt):
        _same(a, b)
    assert mg.gradcheck(lambda a: mg.cat([p * (i + 1) for i, p in enumerate(getattr(S, name)(a, arg, dim))], dim),
                        (xm,))


def test_split_errors_are_in_pytorch_words():
    from minigan.ops.shape import chunk, split

    with pytest.raises(RuntimeError, match=r"split_with_sizes expects split_sizes to sum exactly to 4"):
        split(mg.zeros(2, 4), [1, 2], 1)
    with pytest.raises(RuntimeError, match="chunk expects `chunks` to be greater than 0"):
        chunk(mg.zeros(2), 0)


def test_randperm_is_a_seeded_permutation():
    mg.manual_seed(1)
    a = mg.randperm(10)
    mg.manual_seed(1)
    assert a.tolist() == mg.randperm(10).tolist() and sorted(a.tolist()) == list(range(10))
    assert a.dtype == mg.int64 == np.dtype(str(torch.randperm(3).dtype).replace("torch.", ""))


def test_new_constructors_take_the_tensors_dtype_and_device_as_in_torch():
    xm, xt = mg.zeros(2, dtype=mg.float64), torch.zeros(2, dtype=torch.float64)
    for m, t in [(xm.new_zeros(2, 3), xt.new_zeros(2, 3)), (xm.new_ones((2,)), xt.new_ones((2,))),
                 (xm.new_full((2,), 7.0), xt.new_full((2,), 7.0)), (xm.new_tensor([1, 2]), xt.new_tensor([1, 2]))]:
        assert str(m.dtype) == str(t.dtype).replace("torch.", "")
        _same(m, t)
    assert mg.is_tensor(xm) and not mg.is_tensor(np.zeros(2))


def test_tensor_methods_and_top_level_names_for_repeat_split_chunk_contiguous():
    xm, xt = _pair(_np((2, 4)))
    _same(xm.repeat(1, 2), xt.repeat(1, 2))
    for a, b in zip(mg.split(xm, 3, 1), torch.split(xt, 3, 1)):
        _same(a, b)
    for a, b in zip(xm.chunk(2), xt.chunk(2)):
        _same(a, b)
    _same(xm.t().contiguous(), xt.t().contiguous())


# ---- the same names on device 'cuda' (a real GPU, else the CuPy stand-in) -------------------------
@pytest.mark.cuda
def test_embedding_losses_and_loader_run_on_cuda_as_on_cpu():
    w = _np((5, 3), seed=7)
    idx = np.array([[0, 2, 2], [4, 0, 1]])
    results = {}
    for dev in ("cpu", "cuda"):
        emb = nn.Embedding(5, 3, padding_idx=2, _weight=mg.tensor(w, dtype=mg.float64)).to(dev)
        y = emb(mg.tensor(idx, device=dev))
        target = mg.tensor(_np(y.shape, seed=1), dtype=mg.float64, device=dev)
        loss = nn.MSELoss()(y, target) + nn.L1Loss()(y, target) + nn.BCEWithLogitsLoss()(y, target.sigmoid())
        loss.backward()
        ds = mdata.TensorDataset(mg.tensor(_np((6, 2)), device=dev), mg.arange(6, device=dev))
        batches = [(xb.cpu().numpy(), yb.cpu().numpy()) for xb, yb in mdata.DataLoader(ds, batch_size=4)]
        assert str(y.device).startswith(dev) and batches[0][0].shape == (4, 2)
        results[dev] = (y.cpu().numpy(), loss.item(), emb.weight.grad.cpu().numpy(), batches)
    np.testing.assert_allclose(results["cuda"][0], results["cpu"][0], rtol=1e-12)
    np.testing.assert_allclose(results["cuda"][1], results["cpu"][1], rtol=1e-12)
    np.testing.assert_allclose(results["cuda"][2], results["cpu"][2], rtol=1e-12, atol=1e-15)
    for (a, b), (c, d) in zip(results["cuda"][3], results["cpu"][3]):
        assert np.array_equal(a, c) and np.array_equal(b, d)


@pytest.mark.cuda
def test_cuda_legacy_constructors_make_tensors_on_the_gpu():
    valid = mg.cuda.FloatTensor(4, 1).fill_(1.0)
    assert valid.device.type == "cuda" and valid.dtype == mg.float32
    assert isinstance(valid, mg.cuda.FloatTensor) and not isinstance(valid, mg.FloatTensor)
    imgs = mg.zeros(2, 3, dtype=mg.float64).type(mg.cuda.FloatTensor)  # PyTorch-GAN's imgs.type(Tensor)
    assert imgs.device.type == "cuda" and imgs.dtype == mg.float32
    assert imgs.type(mg.FloatTensor).device.type == "cpu"
    labels = mg.cuda.LongTensor(np.array([1, 2]))
    assert labels.device.type == "cuda" and labels.cpu().tolist() == [1, 2]


@pytest.mark.parametrize("make", ["nn.Embedding(-1, 2)", "nn.Linear(-1, 2)", "nn.Embedding(3, 2.5)",
                                  "nn.Flatten()(lib.tensor(1.0))", "nn.Flatten(3)(lib.zeros(2, 2))",
                                  "nn.Unflatten(5, (2,))(lib.zeros(2, 2))", "nn.ModuleList(5)",
                                  "lib.zeros(4).chunk(0)", "lib.zeros(2, 2).repeat(2)"])
def test_bad_layer_arguments_raise_the_error_torch_raises(make):
    def error(lib):
        with pytest.raises(Exception) as info:
            eval(make, {"nn": lib.nn, "lib": lib})
        return info.value

    ours, theirs = error(mg), error(torch)
    assert type(ours) is type(theirs), f"{make}: minigan raised {ours!r}, PyTorch {theirs!r}"
    head = re.split(r"[:(]", str(theirs))[0].strip()
    assert str(ours).startswith(head), f"{make}: minigan says {ours}, PyTorch says {theirs}"


def test_split_of_a_float_size_names_the_argument():
    with pytest.raises(TypeError, match="split_size_or_sections must be an int or a list of ints, not float"):
        mg.zeros(4).split(2.5)
