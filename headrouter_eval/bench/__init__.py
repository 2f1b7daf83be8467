"""Efficiency benchmark: prefill latency, peak memory and FLOPs per pruner and retention.

One job per module: ``presets`` (model shapes), ``models`` (building or loading a
model), ``inputs`` (synthetic long-audio prompts), ``flops`` (the FLOPs formula),
``eager_fastv`` (FastV the way it is usually implemented, for comparison),
``timing`` (the measurement harness), ``runner`` (the sweep), ``summary`` (speedups
and targets), ``report`` / ``plot`` (outputs), ``router_cost`` (HeadRouter's router
time as a share of prefill) and ``cli`` (``headrouter-eval bench``).
"""
