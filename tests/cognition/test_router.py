"""The router on the real embedding model (all-MiniLM-L6-v2 from its package, not a
stand-in), its cache in the image, its fit, and ``uvm route``."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

import uvm
from tests.conftest import REPO
from tests.llm.conftest import needs_ml
from uvm.cognition import router as R
from uvm.cognition.personas import codex_of, personas_of
from uvm.runtime.errors import UvmError

sys.path.insert(0, os.path.join(REPO, "benchmarks"))
from router_data import load_queries, near_copies, near_copy  # noqa: E402

pytestmark = needs_ml
np = pytest.importorskip("numpy")

OBVIOUS = {
    "ROBIN": "My heart is broken and I feel so alone tonight",
    "BRICK": "Invent a ridiculous new flavour of ice cream for penguins",
    "BABS": "In what year did the Berlin Wall fall, and why?",
    "ALFRED": "Is it really sensible to spend our whole budget on one risky bet?",
}


def test_the_labelled_set_is_big_enough_split_and_apart_from_the_codex(image):
    queries = load_queries()
    assert len(queries) >= 100
    for name in ("ROBIN", "BRICK", "BABS", "ALFRED"):
        mine = [q for q in queries if q["persona"] == name]
        assert len(mine) >= 25
        assert sum(q["split"] == "dev" for q in mine) == sum(q["split"] == "heldout" for q in mine)
    texts = [t for p in personas_of(image.lobby)
             for c in [codex_of(p)] for t in c.route_texts() + [c.mandate]]
    assert near_copies(queries, texts) == []
    assert len({q["text"] for q in queries}) == len(queries)


def test_the_near_copy_check_catches_copies():
    assert near_copy("I am anxious about tomorrow and cannot sleep at all",
                     "I am anxious about tomorrow and cannot sleep")
    assert near_copy("cannot sleep, anxious tomorrow", "anxious about tomorrow, cannot sleep")
    assert near_copy("When was the printing press invented?",
                     "Find me surprising facts about octopuses") is None


def test_obvious_queries_go_to_their_persona(image):
    for name, text in OBVIOUS.items():
        routing = R.route(image, text)
        ranked = [codex_of(p).name for p, _ in routing.ranking]
        assert ranked[0] == name, (text, routing.ranking)
        assert sorted(ranked) == sorted(OBVIOUS)
        scores = [s for _, s in routing.ranking]
        assert scores == sorted(scores, reverse=True) and all(-1 <= s <= 1 for s in scores)
        assert codex_of(routing.picked[0]).name == name


def test_mind_route_and_pick_from_uvm(image):
    ranking = image.eval("mind route: 'I just lost my job and I feel worthless'")
    assert image.eval("(mind route: 'I just lost my job and I feel worthless') first first == robin")
    assert len(ranking) == 4 and all(len(pair) == 2 for pair in ranking)
    assert image.eval("(mind pick: 'Who painted the Mona Lisa and when?') first name") == "BABS"
    with pytest.raises(UvmError, match="mind route: needs a string"):
        image.eval("mind route: 42")


def test_the_codex_embeddings_are_cached_and_remade_when_the_codex_changes(tmp_path, monkeypatch):
    from uvm.llm import embedding
    embedded = []
    real = embedding.Embedder.embed

    def counting(self, texts, batch=embedding.BATCH):
        embedded.append(len(texts))
        return real(self, texts, batch)

    monkeypatch.setattr(embedding.Embedder, "embed", counting)
    path = str(tmp_path / "r.fs")
    with uvm.open(path) as im:
        im.eval("mind route: 'hello'")
        texts = sum(len(codex_of(p).route_texts()) for p in personas_of(im.lobby))
        assert embedded == [texts, 1]               # the four codexes once, then the query
        cache = im.connection.root()[R.ROOT_KEY]
        assert sorted(e["name"] for e in cache.values()) == ["ALFRED", "BABS", "BRICK", "ROBIN"]
    embedded.clear()
    with uvm.open(path) as im:                      # a new process: read from the image
        im.eval("mind route: 'hello'")
        assert embedded == [1]
        embedded.clear()
        im.eval("robin addPillar: 'Gardener' Intent: 'Speak as a patient gardener.'")
        ranking = im.eval("mind route: 'How do I help my tomatoes grow?'")
        robin = codex_of(im.eval("robin"))
        assert embedded == [len(robin.route_texts()), 1]    # only ROBIN's changed codex
        assert len(im.connection.root()[R.ROOT_KEY]) == 4   # the stale entry went
        assert ranking[0][0] is im.eval("robin")


def test_several_personas_are_picked_when_their_scores_are_close():
    names = ["A", "B", "C"]
    rng = np.random.default_rng(0)
    routes = {n: _unit(rng.normal(size=(3, 8))) for n in names}
    router = R.Router(routes, R.Settings(top_k=1, margin=0.05, thresholds={"C": 0.99}))
    close = [("A", 0.50), ("B", 0.47), ("C", 0.46)]
    assert router.pick(close) == ["A", "B"]            # C is close but under its threshold
    assert router.pick([("A", 0.5), ("B", 0.3), ("C", 0.2)]) == ["A"]


def test_fit_chooses_k_margin_and_thresholds_on_labelled_vectors():
    """Two routes on constructed unit vectors: queries near route A's texts are A's."""
    rng = np.random.default_rng(1)
    a, b = _unit(rng.normal(size=(4, 16))), _unit(rng.normal(size=(4, 16)))
    queries = _unit(np.vstack([a + 0.3 * rng.normal(size=a.shape), b + 0.3 * rng.normal(size=b.shape)]))
    labels = ["A"] * 4 + ["B"] * 4
    settings, tried = R.fit({"A": a, "B": b}, queries, labels, fitted_on="constructed")
    assert settings.top_k in R.TOP_K_GRID and settings.fitted_on == "constructed"
    assert set(settings.thresholds) == {"A", "B"}
    assert len(tried) == len(R.TOP_K_GRID) + len(R.MARGIN_GRID) * len(R.THRESHOLD_QUANTILES)
    result = R.evaluate(R.Router({"A": a, "B": b}, settings), queries, labels)
    assert result["top1"] == 1.0 and result["f1"] == max(t["f1"] for t in tried)
    assert R.picked_f1(["A"], "A") == 1.0 and R.picked_f1(["B"], "A") == 0.0
    assert R.picked_f1(["A", "B"], "A") == pytest.approx(2 / 3)


def test_an_image_may_keep_settings_of_its_own(image):
    R.save_settings(image, R.Settings(top_k=1, margin=0.5, thresholds={}, fitted_on="test"))
    assert R.settings_for(image).margin == 0.5
    assert len(R.route(image, "hello there").picked) >= 1


def test_the_shipped_settings_were_fitted_on_the_dev_half():
    s = R.shipped_settings()
    assert "dev" in s.fitted_on and set(s.thresholds) == {"ROBIN", "BRICK", "BABS", "ALFRED"}


def test_uvm_route_prints_one_line_per_persona_best_first_and_loads_torch_only_then(tmp_path):
    """In one fresh process: the mind's prototypes read without torch; then `uvm route` on a
    new image (which keeps the codex embeddings) and on one another process holds (read
    only), each printing NAME SCORE lines, best first."""
    fresh, held = str(tmp_path / "fresh.fs"), str(tmp_path / "held.fs")
    query = "I feel lonely and just need someone to listen"
    code = ("import sys, uvm; from uvm.cli import main; im = uvm.open(memory=True); "
            "im.eval('robin pillars. mind personas. robin facets'); im.close(); "
            "import uvm.cognition.bridge, uvm.cognition.commands; "
            "assert 'torch' not in sys.modules and 'numpy' not in sys.modules, "
            "[m for m in sys.modules if m.startswith(('torch', 'numpy'))][:5]; "
            f"assert main(['route', '--image', {fresh!r}, {query!r}]) == 0; "
            "assert 'torch' in sys.modules; "
            f"print('--'); sys.exit(main(['route', '--image', {held!r}, {query!r}]))")
    with uvm.open(held) as holder:                    # this process holds the second image
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           cwd=REPO, env=dict(os.environ, UVM_LLM="none"), timeout=300)
        assert R.ROOT_KEY not in holder.connection.root()
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr and "uvm:" not in r.stderr  # (ZODB may note a stale index)
    for block in r.stdout.split("--\n"):
        lines = block.splitlines()
        assert len(lines) == 4 and lines[0].startswith("ROBIN ")
        assert all(re.fullmatch(r"[A-Z]+ -?\d\.\d{3}", line) for line in lines)
        scores = [float(line.split()[1]) for line in lines]
        assert scores == sorted(scores, reverse=True)
    with uvm.open(fresh) as im:                       # the writable one kept the embeddings
        assert len(im.connection.root()[R.ROOT_KEY]) == 4
        assert im.history(1)[0].origin == "route"


def test_uvm_route_without_text_is_a_usage_error(tmp_path):
    r = subprocess.run([sys.executable, "-m", "uvm.cli", "route"], capture_output=True,
                       text=True, cwd=REPO, timeout=120)
    assert r.returncode == 2 and "text" in r.stderr


def _unit(m):
    m = np.asarray(m, dtype=np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)
