"""Weight gradients of a recurrence as one matrix product per weight instead of one per time step.

Backpropagation through the T steps of :func:`~.handwriting_lstm.unroll` computes, for every
weight ``W`` used at every step, ``x_t^T @ g_t`` (a product with inner size B, the batch) and
adds it to ``W``'s gradient: T small, memory-bound products and T additions of a full-size
gradient. :class:`DeferredWeights` keeps ``x_t`` and ``g_t`` instead and forms
``concat(x)^T @ concat(g)`` once, with inner size T * B, when backpropagation reaches the
start of the recurrence. Forward values are unchanged; the gradients equal autograd's up to
the order of float summation.

Usage: ``deferred = DeferredWeights([w1, w2])``, ``start = deferred.anchor(zeros)`` (a tensor
every step's inputs depend on, e.g. the initial state), then ``deferred.mm(x, 0)`` for
``x @ w1`` at every step. Without grad mode (inference), or inside :func:`per_step_products`
(the reference the tests and ``benchmarks/train_step.py --compare-products`` measure against),
it computes plain products.
"""

from __future__ import annotations

from contextlib import contextmanager

import torch


class _Product(torch.autograd.Function):
    """``x @ weight`` (or batched) whose backward returns only ``x``'s gradient and stashes ``(x, g)``."""

    @staticmethod
    def forward(ctx, x, weight, stash, index):
        ctx.save_for_backward(weight)
        ctx.stash, ctx.index, ctx.slot = stash, index, len(stash.inputs[index])
        stash.inputs[index].append(x.detach())
        return torch.matmul(x, weight)

    @staticmethod
    def backward(ctx, grad):
        (weight,) = ctx.saved_tensors
        if ctx.stash.grads is None:
            raise RuntimeError("a DeferredWeights recurrence can be backpropagated once (no retain_graph)")
        ctx.stash.grads[ctx.index][ctx.slot] = grad
        return torch.matmul(grad, weight.transpose(-1, -2)), None, None, None


class _Anchor(torch.autograd.Function):
    """Identity on ``start``; its backward, which runs after every step's, returns the stashed weight gradients."""

    @staticmethod
    def forward(ctx, start, stash, *weights):
        ctx.stash = stash
        return start.clone()

    @staticmethod
    def backward(ctx, grad):
        stash = ctx.stash
        weight_grads = []
        for inputs, grads in zip(stash.inputs, stash.grads):
            pairs = [(x, grads[slot]) for slot, x in enumerate(inputs) if slot in grads]
            if not pairs:
                weight_grads.append(None)
                continue
            x = torch.cat([x for x, _ in pairs], dim=-2)        # (..., T * B, in)
            g = torch.cat([g for _, g in pairs], dim=-2)        # (..., T * B, out)
            weight_grads.append(torch.matmul(x.transpose(-1, -2), g))
        stash.inputs = stash.grads = None   # free the T steps' tensors
        return (grad, None, *weight_grads)


_PER_STEP = [False]


@contextmanager
def per_step_products():
    """Within this block :class:`DeferredWeights` computes plain products: autograd's per-step weight gradients."""
    saved, _PER_STEP[0] = _PER_STEP[0], True
    try:
        yield
    finally:
        _PER_STEP[0] = saved


class DeferredWeights:
    """Products with ``weights`` (each ``(in, out)`` or batched ``(G, in, out)``) whose gradients are formed at once."""

    def __init__(self, weights: list[torch.Tensor]):
        self.weights = weights
        self.active = torch.is_grad_enabled() and any(w.requires_grad for w in weights) and not _PER_STEP[0]
        self.inputs: list[list[torch.Tensor]] = [[] for _ in weights]
        self.grads: list[dict[int, torch.Tensor]] = [{} for _ in weights]
        self._anchored = False

    def anchor(self, start: torch.Tensor) -> torch.Tensor:
        """``start`` unchanged; call once, before any :meth:`mm`, on a tensor every product's input depends on."""
        if not self.active:
            return start
        self._anchored = True
        return _Anchor.apply(start, self, *self.weights)

    def mm(self, x: torch.Tensor, index: int) -> torch.Tensor:
        """``x @ weights[index]`` (``x: (..., B, in)``), its weight gradient deferred to the anchor."""
        weight = self.weights[index]
        if not self.active:
            return torch.matmul(x, weight)
        if not self._anchored or not x.requires_grad:   # else the weight's gradient would be lost
            raise RuntimeError("DeferredWeights.mm needs an input that depends on the anchored tensor")
        return _Product.apply(x, weight.detach(), self, index)
