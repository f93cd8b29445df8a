"""harness.env_docs, harness.figures and harness.images on small inputs."""

import textwrap

from harness.env_docs import env_example, readme_configuration, set_by_fly
from harness.figures import unlabelled_figures
from harness.images import image_exists
from harness.project import Project

README = textwrap.dedent("""\
    # Shop

    ## Configuration

    | variable | read by | default |
    | --- | --- | --- |
    | `PORT`, `HOST` | web, API | 3000 |
    | `DATABASE_URL` | API, compose | none |

    ## Next
    | `NOT_CONFIGURATION` | web | - |
    """)


def test_readme_configuration_maps_each_variable_to_its_readers(tmp_path):
    (tmp_path / "README.md").write_text(README)
    assert readme_configuration(tmp_path) == {"PORT": {"web", "API"}, "HOST": {"web", "API"},
                                              "DATABASE_URL": {"API", "compose"}}


def test_env_example_tells_set_variables_from_commented_defaults(tmp_path):
    (tmp_path / ".env.example").write_text("# Local settings\nPORT=3000\n# LOG_LEVEL=info\n#NOT_A_DEFAULT=1\n")
    assert env_example(Project(tmp_path, {})) == ({"PORT"}, {"LOG_LEVEL"})


def test_fly_sets_its_own_variables():
    assert set_by_fly("FLY_REGION") and set_by_fly("PRIMARY_REGION") and not set_by_fly("PORT")


def test_a_figure_needs_a_bench_run_and_a_date_in_its_block_or_the_table_after_it():
    assert unlabelled_figures("The image is 45 MB and starts in 120-140 ms.") == ["45 MB", "120-140 ms"]
    assert unlabelled_figures("Measured by bench/run.py on 2026-11-02: 45 MB.") == []
    assert unlabelled_figures("bench/run.py, 2026-11-02:\n\n| app | size |\n| --- | --- |\n| web | 45 MB |") == []
    assert unlabelled_figures("`45 MB` in a code span is no claim; v1.2 and 3 apps are no figures.") == []
    table = "<!-- BEGIN bench table x -->\n| 9 ms |\n\nbench/run.py 2026-11-02\n<!-- END bench table -->"
    assert unlabelled_figures(table) == []


IMAGES = {"node": {"tags": r"{node}-(alpine|bookworm-slim)"},
          "gcr.io/distroless/nodejs{node}-debian13": {"tags": r"(latest|nonroot)?"}}


def test_an_image_exists_when_its_repository_and_tag_are_known_for_the_node_major():
    assert image_exists("node:24-alpine", "24", IMAGES)
    assert not image_exists("node:22-alpine", "24", IMAGES)
    assert image_exists("gcr.io/distroless/nodejs24-debian13", "24", IMAGES)
    assert not image_exists("gcr.io/distroless/nodejs24-debian12", "24", IMAGES)
    assert not image_exists("redis:7", "24", IMAGES)
