"""``hr_synth``: a synthetic needle-in-long-audio benchmark and the tiny model trained on it.

A clip is 10-60 s of filler (noise, silence, neutral hum) with informative events
at seeded random places. Every clip is described by a small JSON *recipe* and
rebuilt exactly from it at load time (:func:`headrouter_eval.synth.render.render`),
so the package ships recipes and a few spoken-word snippets instead of audio.

Modules: ``signals`` (waveform primitives), ``snippets`` (shipped speech),
``tasks`` (task definitions and recipe generation), ``render`` (recipe -> waveform),
``splits`` (test recipes on disk, train/test seed separation), ``prompt`` (the chat
prompt the lmms-eval adapter builds), ``train`` / ``evaluate`` (the bundled model).
"""

SAMPLE_RATE = 16_000
