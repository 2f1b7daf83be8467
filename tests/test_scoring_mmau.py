"""MMAU-Pro choice matchers and the LLM judge client (against a local HTTP server)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import numpy as np
import pytest

from headrouter_eval.scoring.judge import JudgeConfig, JudgeError, judge_open_answer, parse_scores
from headrouter_eval.scoring.mmau_match import EmbeddingMatcher, deterministic_match

CHOICES = ["rain", "dog barking", "engine", "birdsong"]


@pytest.mark.parametrize(
    "reply,expected",
    [
        ("B", "dog barking"),
        ("(d)", "birdsong"),
        ("The answer is C", "engine"),
        ("I can hear a dog barking.", "dog barking"),
        ("E", None),
        ("", None),
        ("a loud mechanical hum", None),
    ],
)
def test_deterministic(reply, expected):
    assert deterministic_match(reply, CHOICES) == expected


class FakeEncoder:
    """Bag-of-letters vectors: deterministic and dependency-free, and it records its inputs."""

    def __init__(self):
        self.calls = []

    def encode(self, sentences):
        self.calls.append(list(sentences))
        out = np.zeros((len(sentences), 26))
        for row, text in enumerate(sentences):
            for char in text.lower():
                if "a" <= char <= "z":
                    out[row, ord(char) - 97] += 1
        return out


def test_embedding_matcher_picks_nearest_and_records_name():
    encoder = FakeEncoder()
    matcher = EmbeddingMatcher("my-model", encoder=encoder)
    assert matcher.name == "embedding:my-model"
    assert matcher.match("a bird is singing its song", CHOICES) == "birdsong"
    assert encoder.calls == [["a bird is singing its song", *CHOICES]]


def test_embedding_matcher_never_embeds_a_letter():
    encoder = FakeEncoder()
    matcher = EmbeddingMatcher("m", encoder=encoder)
    assert matcher.match("B", CHOICES) == "dog barking"  # mapped exactly
    assert matcher.match("F", CHOICES) is None  # beyond the choices: unmatched, not embedded
    assert matcher.match("(f)", CHOICES) is None
    assert matcher.match("", CHOICES) is None
    assert encoder.calls == []


def test_embedding_matcher_without_package(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_st(name, *args, **kwargs):
        if name == "sentence_transformers":
            raise ImportError("absent")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_st)
    with pytest.raises(ImportError, match="needs sentence-transformers"):
        EmbeddingMatcher("any")


@pytest.mark.parametrize(
    "text,expected",
    [("CORRECTNESS: 4\nOVERALL: 4", 4.0), ("overall rating = 3", 3.0), ("**Overall**: 5/5", 3.0),
     ("OVERALL: 2.0", 2.0), ("CORRECTNESS: 5\nRELEVANCE: 5\nCOMPLETENESS: 1\nCLARITY: 5\nOVERALL: 3", 4.0)],
)
def test_parse_scores_reads_overall_as_officially(text, expected):
    # "**Overall**: 5" is not "OVERALL:" -> the 3.0 fallback, replaced by the criteria mean (3.0);
    # an OVERALL of exactly 3 is replaced by the criteria mean too.
    assert parse_scores(text)["overall"] == expected


class _Handler(BaseHTTPRequestHandler):
    replies: list = []
    seen: list = []

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append((self.path, self.headers.get("Authorization"), body))
        content = type(self).replies.pop(0)
        payload = json.dumps({"choices": [{"message": {"content": content}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture()
def judge_server():
    server = HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Handler.seen = []
    yield server, _Handler
    server.shutdown()
    server.server_close()


def test_judge_round_trip(judge_server, monkeypatch):
    server, handler = judge_server
    handler.replies = ["CORRECTNESS: 4\nRELEVANCE: 5\nCOMPLETENESS: 3\nCLARITY: 5\nOVERALL: 4", "no rating"]
    monkeypatch.setenv("MY_JUDGE_KEY", "secret")
    url = f"http://127.0.0.1:{server.server_port}/v1"
    config = JudgeConfig(url=url, model="qwen-judge", api_key_env="MY_JUDGE_KEY")
    assert judge_open_answer(config, "What?", "A bell.", "A ringing bell.") == pytest.approx(0.8)
    path, auth, body = handler.seen[0]
    assert path == "/v1/chat/completions"
    assert auth == "Bearer secret"
    assert body["model"] == "qwen-judge" and body["temperature"] == pytest.approx(0.1)
    assert body["max_tokens"] == 512
    assert body["messages"][0]["role"] == "system" and "A ringing bell." in body["messages"][1]["content"]
    # No ratings: the official reading gives every criterion 3, so OVERALL 3 -> 0.6.
    assert judge_open_answer(config, "What?", "A bell.", "?") == pytest.approx(0.6)


def test_judge_unreachable():
    config = JudgeConfig(url="http://127.0.0.1:9/v1", model="m", timeout_s=2)
    with pytest.raises(JudgeError, match="failed"):
        judge_open_answer(config, "q", "r", "p")


class OfficialFakeEncoder:
    """NV-Embed-v2's ``encode`` signature; hand-set vectors so cosine and dot product disagree."""

    VECTORS = {"rain": [1.0, 0.0, 0.0], "dog barking": [0.0, 1.0, 0.0], "engine": [0.0, 0.0, 1.0],
               "birdsong": [10.0, 10.0, 0.0], "": [0.0, 0.0, 0.0], "B": [0.0, 0.0, 2.0],
               "mostly rain": [3.0, 0.2, 0.0], "rain or dog": [1.0, 1.0, 0.0]}

    def __init__(self):
        self.calls = []

    def encode(self, prompts, instruction="", max_length=4096):
        import torch

        self.calls.append((list(prompts), instruction, max_length))
        return torch.tensor([self.VECTORS[p] for p in prompts])


def test_official_matcher_is_the_published_protocol():
    from headrouter_eval.scoring.mmau_match import OFFICIAL_EMBEDDING_MODEL, OfficialEmbeddingMatcher

    enc = OfficialFakeEncoder()
    matcher = OfficialEmbeddingMatcher(encoder=enc)
    assert OFFICIAL_EMBEDDING_MODEL == "nvidia/NV-Embed-v2" and matcher.name == "official:nvidia/NV-Embed-v2"
    # Cosine, not dot product: "birdsong" has the largest dot product with "mostly rain" but not the largest cosine.
    assert matcher.match("mostly rain", CHOICES) == "rain"
    assert enc.calls[:2] == [(["mostly rain"], "", 4096), (CHOICES, "", 4096)]
    # A letter is embedded like any text, never mapped ("B" is nearest to "engine" here).
    assert matcher.match("B", CHOICES) == "engine"
    # "birdsong" points the same way as "rain or dog" (cosine 1); without it, rain and dog barking
    # tie and the first wins; an empty reply (zero vector, every score 0) gets the first choice.
    assert matcher.match("rain or dog", CHOICES) == "birdsong"
    assert matcher.match("rain or dog", ["engine", "dog barking", "rain"]) == "dog barking"
    assert matcher.match(None, CHOICES) == "rain" and enc.calls[-2][0] == [""]


def test_official_matcher_through_process_results():
    from headrouter_eval.benchmarks import mmau_pro as mp
    from headrouter_eval.scoring.mmau_match import OfficialEmbeddingMatcher

    mp._OFFICIAL_MATCHERS["local/nv-embed"] = OfficialEmbeddingMatcher("local/nv-embed", encoder=OfficialFakeEncoder())
    try:
        doc = {"id": "x", "task": "sound", "choices": CHOICES, "answer": "rain"}
        opts = {"matcher": "official", "embedding_model": "local/nv-embed"}
        item = mp.process_results(doc, ["mostly rain"], options=opts)["score"]
        assert item == {"value": 1.0, "pred": "rain", "matcher": "official:local/nv-embed"}
        assert mp.process_results(doc, ["B"], options=opts)["score"]["value"] == 0.0
    finally:
        del mp._OFFICIAL_MATCHERS["local/nv-embed"]
