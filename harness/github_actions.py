"""GitHub Actions simulated by reading workflows: the YAML as GitHub reads it, the contexts of
events, which jobs start (from `needs` and `if:`), and a `run:` step run under bash as GitHub runs it.

Expressions are evaluated with GitHub's rules (harness.github_expressions)."""

import functools
import os
import subprocess
from pathlib import Path

import yaml

from harness.github_expressions import evaluate, interpolate, truthy, uses_status_function

A = "a" * 40  # commit ids of the scenarios
B = "b" * 40
REPOSITORY = "acme/shop"


@functools.cache


def parsed(path: Path, modified_ns: int):
    return yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)  # keeps `on` a string


def load_yaml(path: Path):
    """The workflow as GitHub reads it; parsed once per file version (tests only read it)."""
    return parsed(path, path.stat().st_mtime_ns)


def as_list(value) -> list:
    return [] if value is None else [value] if isinstance(value, str) else list(value)


def github_context(event: str, ref: str = "refs/heads/main", sha: str = A, inputs: dict | None = None,
                   **event_payload) -> dict:
    return {"github": {"event_name": event, "ref": ref, "sha": sha, "repository": REPOSITORY,
                       "workflow": "any", "token": "token", "event": event_payload},
            "inputs": inputs or {}, "env": {}, "secrets": {}}


def workflow_run(conclusion="success", event="push", head_branch="main", repository=REPOSITORY, head_sha=A):
    return github_context("workflow_run", workflow_run={
        "conclusion": conclusion, "event": event, "head_branch": head_branch, "head_sha": head_sha,
        "head_repository": {"full_name": repository}})


def started_jobs(workflow: dict, context: dict, outputs: dict | None = None) -> dict:
    """Job -> "success" or "skipped", in the order `needs` imposes. `outputs[job]` is what a job
    that ran reports (every job that starts is taken to succeed)."""
    outputs, results, jobs = outputs or {}, {}, dict(workflow["jobs"])
    while jobs:
        ready = [name for name, job in jobs.items() if set(as_list(job.get("needs"))) <= set(results)]
        assert ready, f"cycle in needs: {sorted(jobs)}"
        for name in ready:
            job = jobs.pop(name)
            needs = as_list(job.get("needs"))
            needs_context = {n: {"result": results[n], "outputs": outputs.get(n, {}) if results[n] == "success" else {}}
                             for n in needs}
            succeeded = all(results[n] == "success" for n in needs)
            condition = job.get("if")
            status = {"success": succeeded, "always": True, "failure": False, "cancelled": False}
            job_context = {**context, "needs": needs_context}
            if condition and uses_status_function(condition):
                runs = truthy(evaluate(condition, job_context, status))
            else:
                runs = succeeded and (condition is None or truthy(evaluate(condition, job_context, status)))
            results[name] = "success" if runs else "skipped"
    return results


def ran(results: dict) -> set:
    return {name for name, result in results.items() if result == "success"}


def step_named(job: dict, name: str) -> dict:
    return next(step for step in job["steps"] if step.get("name") == name or step.get("id") == name)


def run_step(step: dict, context: dict, tmp_path: Path, *, fakes: Path, cwd: Path | None = None,
             env: dict | None = None) -> tuple[subprocess.CompletedProcess, dict]:
    """A `run:` step under bash as GitHub runs it (-eo pipefail, `${{ }}` substituted, the step's
    env evaluated, outputs collected from $GITHUB_OUTPUT), with `fakes` first on PATH."""
    output_file = tmp_path / "github-output"
    output_file.write_text("")
    step_env = {name: interpolate(value, context) for name, value in step.get("env", {}).items()}
    full_env = {"PATH": f"{fakes}{os.pathsep}{os.environ['PATH']}", "HOME": str(tmp_path),
                "GITHUB_OUTPUT": str(output_file), "GITHUB_REPOSITORY": REPOSITORY,
                "GITHUB_EVENT_NAME": context["github"]["event_name"], **(env or {}), **step_env}
    result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
                             interpolate(step["run"], context)],
                            cwd=cwd or tmp_path, env=full_env, capture_output=True, text=True, timeout=60)
    outputs = dict(line.split("=", 1) for line in output_file.read_text().splitlines() if "=" in line)
    return result, outputs
