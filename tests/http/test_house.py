"""Issue 31: the house. What a refactoring must keep, and the defect it found."""
import requests

from conftest import metric


def test_every_route_is_counted_under_its_own_name(admin, api, daemon):
    """metrics.c sized its per-route rows for 64 routes while the table had more: the last ones
    (/v1/keys, /v1/me, /v1/audit, ...) were counted as route="unmatched"."""
    for path in ("/v1/audit", "/v1/keys", "/v1/me"):
        assert admin.get(path).status_code == 200
    text = requests.get(daemon.base + "/metrics", timeout=10).text
    for path in ("/v1/audit", "/v1/keys", "/v1/me", "/hsds/taxonomy_terms/{id}"):
        if path.startswith("/hsds"):
            api.get("/hsds/taxonomy_terms/x")
            text = requests.get(daemon.base + "/metrics", timeout=10).text
        assert f'route="{path}",method="GET",status=' in text, path
    assert metric(daemon, "stek_db_pool_busy") >= 0
    # Every metric once, with its help and type.
    names = [line.split()[2] for line in text.splitlines() if line.startswith("# HELP ")]
    assert len(names) == len(set(names))
    types = [line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")]
    assert names == types


def test_the_configuration_page_is_what_stekd_help_says(tmp_path):
    """docs/configuration.md is generated from --help: a variable or default changed in the code
    without `make docs` fails here."""
    import subprocess
    from conftest import BUILD, ROOT
    out = tmp_path / "configuration.md"
    run = subprocess.run(["python3", str(ROOT / "service/tools/gen_configuration.py"), str(BUILD),
                          str(out)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert out.read_text() == (ROOT / "docs" / "configuration.md").read_text(), \
        "docs/configuration.md is stale: run make docs"


def test_the_layer_check_fails_on_an_include_that_points_up(tmp_path):
    import os
    import shutil
    import subprocess
    from conftest import ROOT
    for part in ("include", "service/stekd"):
        shutil.copytree(ROOT / part, tmp_path / part)
    script = ROOT / "service/tools/layers.py"
    env = dict(os.environ, STEK_LAYERS_ROOT=str(tmp_path))
    ok = subprocess.run(["python3", str(script)], env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout
    clock = tmp_path / "service/stekd/domain/clock.c"
    clock.write_text('#include "stek/config.h"\n' + clock.read_text())  # the domain reads config
    bad = subprocess.run(["python3", str(script)], env=env, capture_output=True, text=True)
    assert bad.returncode == 1 and "domain/clock.c (domain) includes config.h (infra)" in bad.stdout


def test_the_scripts_take_their_words_from_the_one_catalogue(daemon):
    """widget.js, page.js and stats.js get their words from service/web/words.json at build
    time: every language of the catalogue, the same word where the pages show the same thing."""
    import json
    import re
    from conftest import ROOT
    cat = json.loads((ROOT / "service/web/words.json").read_text())
    assert cat["languages"] == ["nl", "fr", "en", "de"]
    for key, words in cat["words"].items():
        assert set(words) == set(cat["languages"]) and all(words.values()), key
    widget = requests.get(daemon.base + "/widget.js", timeout=10).text
    page = requests.get(daemon.base + "/", timeout=10).text
    script = re.search(r'src="(/assets/page\.[^"]+\.js)"', page).group(1)
    for text in (widget, requests.get(daemon.base + script, timeout=10).text):
        assert "{{words:" not in text
    assert '"cancelled":"Afgelast"' in widget and '"cancelled":"Annulé"' in widget
    for part in ("widget", "page", "stats"):
        assert all(key in cat["words"] for key in cat[part].values()), part
