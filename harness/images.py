"""The container images a project names (Dockerfiles, compose, workflow service containers, docs),
and whether a reference is one of the known images' tags."""

import re

import yaml

from harness import dockerfile_model as df
from harness.markdown import markdown_docs
from harness.project import Project


IMAGE_REFERENCE = re.compile(r"^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)+/[a-z0-9./_-]+(?::[\w.-]+)?|(?:node|rust|postgres|redis):\d[\w.-]*)$")


def image_references(project: Project) -> list[tuple[str, str]]:
    """(reference, where) of every image the Dockerfiles, the compose file, the workflows' service
    containers and the docs name."""
    found = []
    for dockerfile in sorted(project.root.rglob("Dockerfile")):
        stages = set()
        for stage in df.read_stages(dockerfile):
            if stage.image not in stages:
                found.append((stage.image, str(dockerfile.relative_to(project.root))))
            stages.add(stage.name)
    compose = yaml.safe_load((project.root / "docker-compose.yml").read_text(encoding="utf-8"))
    found += [(service["image"], "docker-compose.yml") for service in compose["services"].values() if "image" in service]
    for path in sorted((project.root / ".github" / "workflows").glob("*.yml")):
        for name, job in (yaml.safe_load(path.read_text(encoding="utf-8")).get("jobs") or {}).items():
            containers = [*(job.get("services") or {}).values(), job.get("container")]
            found += [(c if isinstance(c, str) else c["image"], f"{path.name} job {name}") for c in containers if c]
    for doc in markdown_docs(project):
        found += [(span, doc.name) for span in doc.spans if IMAGE_REFERENCE.match(span) and (":" in span or "/" in span)]
    return found


def image_exists(reference: str, node: str, images: dict) -> bool:
    repository, _, tag = reference.partition(":")
    for name, entry in images.items():
        if repository == name.replace("{node}", node):
            return re.fullmatch(entry["tags"].replace("{node}", node), tag) is not None
    return False
