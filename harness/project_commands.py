"""Every command a project tells its user or its CI to run: (folder, argv, where it is written).

From the docs' shell blocks and command spans, the post-generation hook's next steps, the
workflows' run steps and their helper scripts."""

import yaml

from harness.hooks import post_gen
from harness.markdown import markdown_docs
from harness.project import Project
from harness.shell import shell_commands


def workflow_commands(project: Project):
    """(directory, argv, where) of every command of the workflows' run steps."""
    for path in sorted((project.root / ".github" / "workflows").glob("*.yml")):
        workflow = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
        for job_name, job in workflow.get("jobs", {}).items():
            job_dir = job.get("defaults", {}).get("run", {}).get("working-directory", ".")
            for step in job.get("steps", []):
                if "run" in step:
                    cwd = project.root / step.get("working-directory", job_dir)
                    for directory, argv in shell_commands(step["run"], cwd):
                        yield directory, argv, f"{path.name} job {job_name}"


def script_commands(project: Project):
    """The workflows' helper scripts run from the checkout root."""
    for path in sorted((project.root / ".github" / "scripts").glob("*.sh")):
        body = "\n".join(line for line in path.read_text(encoding="utf-8").splitlines()
                         if not line.lstrip().startswith("#"))
        for directory, argv in shell_commands(body, project.root):
            yield directory, argv, path.relative_to(project.root).as_posix()


def next_steps_commands(project: Project):
    """What the post-generation hook tells the user to run, from the folder holding the project."""
    steps = "\n".join(line.strip() for line in post_gen.next_steps(project.answers).splitlines())
    for directory, argv in shell_commands(steps, project.root.parent):
        yield directory, argv, "the post-generation hook's next steps"


def doc_commands(project: Project):
    for doc in markdown_docs(project):
        for snippet in doc.shell_snippets():
            for directory, argv in shell_commands(snippet, doc.base):
                yield directory, argv, doc.name


def every_command(project: Project):
    yield from doc_commands(project)
    yield from next_steps_commands(project)
    if (project.root / ".github" / "workflows").is_dir():
        yield from workflow_commands(project)
        yield from script_commands(project)
