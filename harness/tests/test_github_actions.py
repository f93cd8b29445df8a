"""harness.github_expressions and harness.github_actions: GitHub's rules for expressions, which jobs
start, and a run step under bash."""

import json

import pytest
import yaml

from harness.command_fakes import calls, fly_state, install_fakes
from harness.github_actions import github_context, ran, run_step, started_jobs, workflow_run
from harness.github_expressions import evaluate, interpolate

WORKFLOW = yaml.load("""
on:
  push:
jobs:
  head:
    runs-on: ubuntu-24.04
    if: github.ref == 'refs/heads/main'
    steps: [{run: "true"}]
  deploy:
    needs: head
    if: needs.head.outputs.deploy == 'true'
    steps: [{run: "true"}]
  notify:
    needs: deploy
    if: always()
    steps: [{run: "true"}]
  report:
    needs: deploy
    steps: [{run: "true"}]
""", Loader=yaml.BaseLoader)


def test_expressions_follow_githubs_documented_rules():
    context = {"github": {"ref": "refs/heads/main", "event": {}}, "inputs": {"flag": True}}
    assert evaluate("github.ref == 'REFS/HEADS/MAIN'", context) is True  # strings ignore case
    assert evaluate("github.event.workflow_run.conclusion", context) is None  # missing -> null
    assert evaluate("github.event.workflow_run.conclusion == 'success'", context) is False
    assert evaluate("github.ref != 'refs/heads/main' && 'yes' || 'no'", context) == "no"  # operands, not booleans
    assert evaluate("null == 0 && '' == 0 && false == 0 && '1' == 1", context) is True  # numeric coercion
    assert evaluate("${{ !inputs.flag }}", context) is False and evaluate("!inputs.missing", context) is True
    assert interpolate("ci-${{ github.ref }}-${{ inputs.flag }}", context) == "ci-refs/heads/main-true"
    assert evaluate("always() || false", context, {"success": False, "always": True, "failure": False,
                                                     "cancelled": False}) is True
    with pytest.raises(ValueError):
        evaluate("contains(github.ref, 'main')", context)  # not modelled: must not be misread


def test_a_job_whose_needed_job_was_skipped_is_skipped_unless_it_calls_a_status_function():
    on_main = started_jobs(WORKFLOW, github_context("push"), {"head": {"deploy": "true"}})
    assert on_main == {"head": "success", "deploy": "success", "notify": "success", "report": "success"}
    held = started_jobs(WORKFLOW, github_context("push"), {"head": {"deploy": "false"}})
    assert ran(held) == {"head", "notify"}
    elsewhere = started_jobs(WORKFLOW, github_context("push", ref="refs/heads/feature"))
    assert ran(elsewhere) == {"notify"}


def test_a_cycle_in_needs_is_an_error():
    cyclic = {"jobs": {"a": {"needs": "b"}, "b": {"needs": ["a"]}}}
    with pytest.raises(AssertionError, match="cycle"):
        started_jobs(cyclic, github_context("push"))


def test_workflow_run_context_carries_the_triggering_run():
    context = workflow_run(conclusion="failure", head_sha="c" * 40)
    assert evaluate("github.event.workflow_run.conclusion", context) == "failure"
    assert interpolate("${{ github.event.workflow_run.head_sha }}", context) == "c" * 40


def test_a_run_step_gets_its_env_evaluated_and_its_outputs_collected(tmp_path):
    fakes = install_fakes(tmp_path / "fakes")
    step = {"env": {"REF": "${{ github.ref }}"}, "run": 'echo "ref=$REF" >> "$GITHUB_OUTPUT"\nflyctl apps create shop --org acme'}
    result, outputs = run_step(step, github_context("push"), tmp_path, fakes=fakes)
    assert result.returncode == 0, result.stderr
    assert outputs == {"ref": "refs/heads/main"}
    assert calls(fakes, "flyctl") == ["flyctl apps create shop --org acme"]
    assert fly_state(fakes)["apps"] == {"shop": {"org": "acme", "secrets": {}, "deploys": []}}


def test_a_failing_command_fails_the_step_as_under_pipefail(tmp_path):
    fakes = install_fakes(tmp_path / "fakes")
    result, _ = run_step({"run": "false | cat\necho after"}, github_context("push"), tmp_path, fakes=fakes)
    assert result.returncode != 0 and "after" not in result.stdout


def test_the_gh_stand_in_answers_with_jq_from_its_files(tmp_path):
    fakes = install_fakes(tmp_path / "fakes")
    (fakes / "branch-main.json").write_text(json.dumps({"commit": {"sha": "abc"}}))
    step = {"run": "gh api repos/acme/shop/branches/main --jq .commit.sha"}
    result, _ = run_step(step, github_context("push"), tmp_path, fakes=fakes)
    assert result.stdout.strip() == "abc" and calls(fakes, "gh ") == ["gh api repos/acme/shop/branches/main --jq .commit.sha"]
