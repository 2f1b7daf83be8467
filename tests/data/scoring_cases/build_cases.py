"""Builds the scoring corpus (audiomarathon.jsonl, mmau_pro_if.jsonl) from reply templates.

Run from the repo root: ``python tests/data/scoring_cases/build_cases.py``, then
``python -m headrouter_eval.scoring.anchors ...`` to add the official answers. The
replies imitate what chat models write: bare letters, lower case, punctuation,
"The answer is B", "B) Sad", two choices named, wordy sentences, empty replies.
"""

from __future__ import annotations

import json
from pathlib import Path

from headrouter_eval.scoring.am_official import label_of_letter

HERE = Path(__file__).parent

OPTIONS = {
    "scr": {"A": "He wanted to travel", "B": "She lost her keys", "C": "They moved to a new city",
            "D": "The teacher was late"},
    "ser": {"A": "Paris", "B": "a museum", "C": "the bank", "D": "Sarah"},
    "sed": {"A": "Dog barking", "B": "Speech", "C": "Alarm bell ringing", "D": "Frying"},
    "asc": {"A": "Airport - indoor", "B": "Street traffic - outdoor", "C": "Metro station - underground",
            "D": "Public square - outdoor"},
    "mc": {"A": "blues", "B": "classical", "C": "country", "D": "disco"},
    "er": {"A": "angry", "B": "happy", "C": "sad", "D": "neutral"},
    "sd": {"A": "real", "B": "fake"},
    "sar": {"A": "Child (0-12)", "B": "Teen (13-19)", "C": "Young adult (20-39)", "D": "Middle-aged (40-59)",
            "E": "Senior (60+)"},
    "sgr": {"A": "male", "B": "female"},
}
# Alternative option sets, so extractors meet more than one layout.
ALT_OPTIONS = {
    "er": {"A": "fearful", "B": "sad", "C": "happy", "D": "angry"},
    "sgr": {"A": "female", "B": "male"},
    "asc": {"A": "Park", "B": "Shopping mall - indoor", "C": "Tram", "D": "Bus - traveling by bus"},
}

GENERIC = [
    "{L}", "{l}", "{L}.", "({L})", "{L})", "{L}) {T}", "{L}. {T}", "{L}: {T}", "The answer is {L}",
    "The answer is {L}.", "Answer: {L}", "answer: {l}", "I think it's {L}.", "Option {L}", "option {l}",
    "Choice {L}", "{T}", "{t}", "Based on the audio, the answer is {T}.", "{L} or {M}", "{L}, or maybe {M}",
    "{T} and {U}", "", "   ", "I'm not sure.", "None of the above.", "The correct answer is {L}: {T}",
    "**{L}**", "assistant\n{L}", "{M}\n\nassistant\n{L}", "{L} - {T}", "It is {t}", "Definitely {M}",
    "({l}) {t}", "I would say {T}, not {U}.",
]
SPECIFIC = {
    "scr": ["B", "Based on the passage, D", "CORRECT: B", "xyz", "The man wanted to travel."],
    "ser": ["Bob", "It mentions a bank.", "The speaker named Sarah", "Paris is the place."],
    "sed": ["dog", "I hear a dog barking", "Speech and alarm"],
    "asc": ["airport", "street traffic outdoor sounds", "metro station", "Sounds like a public square outdoor",
            "option d", "b)", "The scene is an airport indoor hall"],
    "mc": ["This is a blues song", "Genre: disco", "classical music, C", "It's country. Answer C"],
    "er": ["sad", "The speaker sounds sad.", "sadness", "Anger", "neutral", "fear", "joy", "(b)",
           "The emotion is happy", "He is furious", "flat and emotionless", "She seems anxious and afraid",
           "c) sad", "depressed"],
    "sd": ["real", "fake", "Real", "It's fake.", "This audio is authentic.", "synthetic speech",
           "The recording is genuine", "a", "b", "It is a fake recording", "The answer is b", "Not real",
           "completely authentic", "it contains some fake parts", "artificial voice", "real and fake",
           "The audio is synthesized", "Answer: a"],
    "sar": ["child", "A teenager", "senior", "The speaker is a young adult (20-39)", "d", "Answer e",
            "option c", "between teen (13-19) and child (0-12)", "maybe a", "Middle-aged (40-59)", "e."],
    "sgr": ["male", "female", "Male.", "The speaker is a woman", "a man", "female voice", "Answer: A", "a", "b",
            "male and female", "The speaker is male.", "b) female", "FEMALE", "a)", "it is a male speaker"],
}
ASR = [
    ("the quick brown fox jumps over the lazy dog", "Spoken Content: The quick brown fox jumps over the lazy dog."),
    ("the quick brown fox", "spoken content: the quick brown fox"),
    ("hello world", "Content: Hello, world!"),
    ("hello world", "Spoken Text: hello world"),
    ("a well known fact", "Spoken Content: A well-known fact."),
    ("it's a test", "Spoken Content: It's a test"),
    ("first part second part", "Spoken Content: first part Spoken Content: second part"),
    ("the cat sat", "Spoken Content: the cat sat <sep> extra tokens"),
    ("the cat sat", "Spoken Content: the cat sat <sep> extra <tail"),
    ("nothing here", ""),
    ("nothing here", "   "),
    ("words", "<transcribed text here>"),
    ("some words", "Spoken Content: <transcribed text here> some words"),
    ("my discontent grows", "My discontent: grows"),
    ("transcribed speech", "Transcript: transcribed speech"),
    ("transcribed speech", "Transcription: Transcribed speech."),
    ("line one line two", "Spoken Content:\nline one\nline two"),
    ("plain reply", "plain reply"),
    ("plain reply", "Plain reply without any marker, and extra words"),
    ("", "Spoken Content: something"),
    ("dots only", "..."),
    ("numbers 42", "Spoken Content: numbers forty two"),
    ("um i think so", "Spoken Content: um, I think so"),
    ("text", "assistant\nSpoken Content: text"),
    ("text", "Sure.\nassistant\nSpoken Content: text text"),
    ("content matters", "Spoken content: content: matters"),
    ("brackets test", "Spoken Content: [brackets] (test)"),
    ("quotes", 'Spoken Content: "quotes"'),
    ("a b c", "SPOKEN CONTENT: A B C"),
    ("a b c", "spoken text: a b c d"),
    ("long reference with many words in it", "Spoken Content: long reference words"),
    ("tab separated", "Spoken Content:\ttab separated"),
]


def _fill(template: str, opts: dict[str, str], gold: str, other: str) -> str:
    return template.format(L=gold, l=gold.lower(), T=opts[gold], t=opts[gold].lower(), M=other, U=opts[other])


def am_cases() -> list[dict]:
    rows: list[dict] = []
    for task, base in OPTIONS.items():
        templates = GENERIC + SPECIFIC[task]
        letters = list(base)
        for i, template in enumerate(templates):
            opts = ALT_OPTIONS[task] if task in ALT_OPTIONS and i % 3 == 2 else base
            gold = letters[i % len(letters)]
            other = letters[(i + 1) % len(letters)]
            rows.append({"id": f"{task}-{i:03d}", "task": task, "options": opts, "gold": gold,
                         "gold_label": label_of_letter(task, gold, opts), "reply": _fill(template, opts, gold, other)})
    for i, (reference, reply) in enumerate(ASR):
        rows.append({"id": f"asr-{i:03d}", "task": "asr", "reference": reference, "reply": reply})
    return rows


Q = "Describe the sound you hear in the recording."
IF_CASES: list[tuple[str, dict, list[str]]] = [
    ("Include Keywords", {"keywords": "rain, thunder"},
     ["I hear rain and thunder.", "Only rain here.", "RAIN and THUNDER", "rainy, thundering skies", ""]),
    ("Include Keywords", {"keywords": "cat"}, ["A category of sounds.", "dog barking"]),
    ("Keyword Frequency", {"keyword": "bird", "N": 2},
     ["A bird sings; another bird answers.", "A bird sings.", "Birds and a bird and a bird.", "bird bird"]),
    ("Forbidden Words", {"forbidden_words": "music, song"},
     ["It is a quiet recording.", "There is music playing.", "A songbird calls.", "MUSIC"]),
    ("Number Paragraphs", {"N": 2},
     ["First part.\n***\nSecond part.", "One paragraph only.", "a *** b *** c", "***a***b***", "a\n\nb"]),
    ("Number Words (at least)", {"N": 5}, ["one two three four five", "too short", "a  b\nc d\te f", ""]),
    ("Number Words (at most)", {"N": 3}, ["short reply", "this reply is far too long", "", "one, two, three"]),
    ("Number Words (range)", {"N1": 2, "N2": 4}, ["two words", "just one", "one two three four five", "a b c"]),
    ("Number Sentences (at least)", {"N": 2},
     ["It rains. Thunder follows.", "One sentence only.", "Dr. Smith hears rain. It stops.", "Wow! Really? Yes."]),
    ("Number Sentences (at most)", {"N": 1},
     ["One sentence.", "First. Second.", "Mr. Jones arrived at 3 p.m. on Monday.", ""]),
    ("Number Sentences (range)", {"N1": 2, "N2": 3},
     ["A. B. C.", "Just one sentence", "One. Two.", "One. Two. Three. Four.", "e.g. this is one. And two."]),
    ("Postscript", {"postscript_marker": "P.S."},
     ["Rain.\nP.S. it was loud", "Rain. PS: loud", "Rain only.",
      "p.s. lower"]),
    ("Number Placeholder", {"N": 2},
     ["Meet at [place] on [date].", "Meet at [place].", "No placeholders", "[a][b][c]"]),
    ("Number Bullets", {"N": 3},
     ["* one\n* two\n* three", "* one\n* two", "- one\n- two\n- three", "  * one\n* two\n*  three",
      "*one\n*two\n*three"]),
    ("Title", {}, ["<<Rainy Night>>\nIt rains.", "No title here.", "<<>> empty", "<<A>>"]),
    ("Minimum Number Highlighted Section", {"N": 2},
     ["*loud* rain and *soft* wind", "*only one* here", "**bold** and *it*", "no highlights"]),
    ("Multiple Sections", {"N": 2, "section_splitter": "SECTION"},
     ["SECTION 1 rain SECTION 2 wind", "SECTION 1 rain", "Intro SECTION 1 rain SECTION 2 wind",
      "section 1 a section 2 b"]),
    ("Repeat Prompt", {},
     [Q + " It is rain.", "It is rain.", "  " + Q.lower() + " rain", Q[:-1]]),
    ("Two Responses", {},
     ["Rain falls.\n******\nThunder rolls.", "Rain falls.", "Same\n******\nsame", "A ****** B ****** C", "******"]),
    ("All Uppercase", {}, ["IT IS RAINING.", "It is raining.", "123", "RAIN 42!"]),
    ("All Lowercase", {}, ["it is raining.", "It is raining.", "", "rain 42!"]),
    ("All-capital Words (at least)", {"N": 2}, ["LOUD and CLEAR", "Only ONE here", "A B", "NASA's rover"]),
    ("All-capital Words (at most)", {"N": 1}, ["Only ONE here", "TWO CAPS", "none", "I AM"]),
    ("All-capital Words (range)", {"N1": 1, "N2": 2}, ["ONE", "ONE TWO THREE", "none", "OK, GO"]),
    ("Start Checker", {"start_phrase": "In the audio"},
     ["In the audio, rain falls.", "Rain falls in the audio.", "  in the audio: rain", "'In the audio' rain"]),
    ("End Checker", {"end_phrase": "That is all."},
     ["Rain falls. That is all.", "That is all. Rain falls.", "Rain. that is all", "Rain. That is all!!"]),
    ("Quotation", {}, ['"It rains."', "It rains.", '  "It rains."  ', '"', '"open only']),
    ("No Commas", {}, ["Rain falls and wind blows.", "Rain falls, wind blows.", "", "Comma-free; yes"]),
    ("Include Keywords", {"keywords": "wind,rain"}, ["wind,rain", "wind and rain", "Wind, rain"]),
    ("Include Keywords", {}, ["anything at all", ""]),
    ("Keyword Frequency", {"keyword": "rain", "N": 1}, ["Rain.", "rain-soaked rain", "raining", "Rain, rain."]),
    ("Forbidden Words", {"forbidden_words": "loud"}, ["It is soft.", "It is LOUD.", "loudly"]),
    ("Number Paragraphs", {"N": 1}, ["Just one.", "one *** two", "   "]),
    ("Number Words (at least)", {"N": 1}, ["word", "", " "]),
    ("Number Sentences (at least)", {"N": 3}, ["One. Two. Three.", "U.S. troops left. They came back. Done.",
                                              "Is it? Yes. No!", "Mrs. Smith left."]),
    ("Number Sentences (at most)", {"N": 2}, ["A sentence without a period", "One... Two... Three...", "1. 2. 3."]),
    ("Postscript", {"postscript_marker": "P.P.S"}, ["Done.\nP.P.S. more", "Done. PS more", "pps"]),
    ("Postscript", {}, ["anything"]),
    ("Number Bullets", {"N": 1}, ["* only", "* one\n* two", "\n* one"]),
    ("Multiple Sections", {"N": 3, "section_splitter": "Part"},
     ["Part 1 a Part 2 b Part 3 c", "Part 1 a Part 2 b", "Partial Part 1 a Part 2 b"]),
    ("Multiple Sections", {"N": 2}, ["ab", "abc"]),
    ("Start Checker", {"start_phrase": "Sure"}, ["Sure, here it is.", "sure!", "Not sure."]),
    ("End Checker", {"end_phrase": "Any other questions?"}, ["Rain. Any other questions?", "Any other questions? No."]),
    ("All Uppercase", {}, ["", "ÉTÉ"]),
    ("Two Responses", {}, ["A\n******\n", "First answer ****** Second answer"]),
    ("Response Language", {"language": "fr"}, ["Il pleut.", "It rains."]),
    ("JSON Format", {}, ['{"sound": "rain"}', "rain"]),
]
# Every key the released rows use, so a "struct" case carries all of them None-filled.
STRUCT_KEYS = ("keywords", "keyword", "N", "N1", "N2", "forbidden_words", "postscript_marker",
               "section_splitter", "start_phrase", "end_phrase", "language")


def if_cases() -> list[dict]:
    rows = []
    for n, (identifier, kwargs, replies) in enumerate(IF_CASES):
        for i, reply in enumerate(replies):
            form = ("dict", "json", "struct")[(n + i) % 3]
            if form == "json":
                raw: object = json.dumps(kwargs)
            elif form == "struct":
                raw = {k: kwargs.get(k) for k in STRUCT_KEYS}
            else:
                raw = dict(kwargs)
            rows.append({"id": f"if-{n:02d}-{i}", "identifier": identifier, "kwargs": kwargs,
                         "kwargs_form": form, "kwargs_raw": raw, "question": Q, "reply": reply})
    return rows


JUDGE_REPLIES = [
    "CORRECTNESS: 4 - close\nRELEVANCE: 5 - on topic\nCOMPLETENESS: 3 - partial\nCLARITY: 5 - clear\nOVERALL: 4 - good",
    "CORRECTNESS: 2\nRELEVANCE: 3\nCOMPLETENESS: 2\nCLARITY: 4\nOVERALL: 3 - average",
    "correctness: 5\nrelevance: 5\ncompleteness: 5\nclarity: 5\noverall: 4.75",
    "**CORRECTNESS**: 4\nOVERALL: [4] - good",
    "I cannot rate this.",
    "",
    "CORRECTNESS: 1 - wrong\nRELEVANCE: 2\nCOMPLETENESS: 1\nCLARITY: 3\nOVERALL:2.5",
    "OVERALL: 5\nCORRECTNESS: 5",
]


def judge_cases() -> list[dict]:
    return [{"id": f"judge-{i}", "question": "What instrument plays the melody?", "reference": "A violin.",
             "prediction": ("A violin, bowed slowly.", "", "Piano? Or maybe\nstrings.")[i % 3], "judge_reply": reply}
            for i, reply in enumerate(JUDGE_REPLIES)]


def main() -> None:
    for name, rows in (("audiomarathon.jsonl", am_cases()), ("mmau_pro_if.jsonl", if_cases()),
                       ("mmau_pro_judge.jsonl", judge_cases())):
        (HERE / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        print(name, len(rows))


if __name__ == "__main__":
    main()
