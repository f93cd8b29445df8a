"""harness.answers' test ids, harness.bake's cache and harness.project's model."""

from harness.answers import DEFAULTS, FULL_MONOREPO, answers_id
from harness.bake import BakeCache
from harness.project import Project


def test_an_id_names_only_the_answers_that_differ_from_the_defaults_in_cookiecutter_json_order():
    assert answers_id({}) == answers_id(DEFAULTS) == "defaults"
    assert answers_id({"node_version": "24", "layout": "monorepo", "ci": DEFAULTS["ci"]}) == \
        "layout=monorepo,node_version=24"
    assert answers_id(FULL_MONOREPO).startswith("layout=monorepo,backend=rust,database=postgres,use_redis=yes,")


def test_the_cache_bakes_each_set_of_answers_once_and_copies_stay_apart(tmp_path):
    bakes = BakeCache(tmp_path / "bakes")
    first = bakes(use_redis="yes")
    assert first.answers["use_redis"] == "yes" and first.answers["layout"] == "standalone"
    assert (first.root / "package.json").is_file()
    assert BakeCache(tmp_path / "bakes")(use_redis="yes") == first, "another process reads the same bake"
    assert len(list((tmp_path / "bakes").iterdir())) == 1
    copy = bakes.copy(tmp_path / "mine", use_redis="yes")
    assert copy.root == tmp_path / "mine" / first.root.name and copy.answers == first.answers
    (copy.root / "package.json").write_text("{}")
    assert (first.root / "package.json").read_text() != "{}"


def test_the_project_knows_where_its_apps_are(tmp_path):
    answers = DEFAULTS | {"layout": "monorepo", "backend": "rust"}
    project = Project(tmp_path, answers)
    assert project.web == tmp_path / "apps" / "web" and project.api == tmp_path / "apps" / "api"
    assert project.apps == {"web": answers["fly_app_name"], "api": answers["fly_api_app_name"]}
    standalone = Project(tmp_path, DEFAULTS)
    assert standalone.web == tmp_path and standalone.api is None and set(standalone.apps) == {"web"}


def test_nearest_looks_up_to_the_project_root_and_no_further(tmp_path):
    root = tmp_path / "shop"
    (root / "apps" / "web" / "src").mkdir(parents=True)
    (tmp_path / "package.json").write_text("{}")  # outside the project
    project = Project(root, DEFAULTS)
    assert project.nearest(root / "apps" / "web" / "src", "package.json") is None
    (root / "package.json").write_text("{}")
    assert project.nearest(root / "apps" / "web" / "src", "package.json") == root / "package.json"
