"""``hr_synth``: a synthetic needle-in-long-audio benchmark and the tiny model trained on it.

Every clip is described by a small JSON *recipe* and rebuilt exactly from it at load time
(:func:`headrouter_eval.synth.render.render`), so the package ships recipes and a few
spoken-word snippets instead of audio. The benchmark and the model: README.md, "The bundled
default".
"""

SAMPLE_RATE = 16_000
