"""A Dockerfile's build outside Docker (there is no engine here): the build context through
.dockerignore, the build stages' COPY and RUN steps in a scratch folder, then only what the final
stage COPYs laid out in an empty folder."""

import os
import shutil
import subprocess
from pathlib import Path

from harness import dockerfile_model as df
from harness.paths import CACHE_DIR


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


class OutsideDockerBuild:
    """Runs a Dockerfile's build stages in `work/` and lays out its final stage in `work/final`.

    Container paths map to folders: every stage of the build chain shares `work/stage` as its
    root (the chain base -> deps -> build is linear), cache-mount targets map to folders under
    the suite's cache, and `npm install --global` goes to the stage root's usr/local.
    """

    def __init__(self, dockerfile: Path, context: Path, work: Path, env: dict):
        self.stages = df.read_stages(dockerfile)
        self.context = context
        self.stage_root = work / "stage"
        self.final_root = work / "final"
        self.env = dict(env)  # the base image's environment: its Node first on PATH
        prefix = self.stage_root / "usr" / "local"
        self.env["NPM_CONFIG_PREFIX"] = str(prefix)
        self.env["PATH"] = f"{prefix / 'bin'}{os.pathsep}{self.env['PATH']}"

    def host(self, root: Path, container_path: str) -> Path:
        return root / container_path.lstrip("/")

    def chain(self, name: str) -> list[df.Stage]:
        by_name = {s.name: s for s in self.stages if s.name}
        chain = []
        stage = by_name[name]
        while stage:
            chain.insert(0, stage)
            stage = by_name.get(stage.image)
        return chain

    def build(self, stage_name: str) -> None:
        workdir, variables = "/", {}
        for stage in self.chain(stage_name):
            for instruction in stage.instructions:
                if instruction.keyword == "WORKDIR":
                    workdir = str(Path(workdir, instruction.args))
                    self.host(self.stage_root, workdir).mkdir(parents=True, exist_ok=True)
                elif instruction.keyword == "ARG":
                    name, _, default = instruction.args.partition("=")
                    variables[name] = default
                elif instruction.keyword == "ENV":
                    variables.update(stage.env())
                elif instruction.keyword == "COPY":
                    self.copy(df.parse_copy(instruction), self.context, self.stage_root, workdir)
                elif instruction.keyword == "RUN":
                    self.run(instruction, workdir, variables)

    def run(self, instruction: df.Instruction, workdir: str, variables: dict) -> None:
        command = df.run_command(instruction)
        for flag in instruction.args.split():
            if flag.startswith("--mount=type=cache"):
                options = dict(part.split("=", 1) for part in flag[len("--mount="):].split(","))
                cache = CACHE_DIR / "docker-cache-mounts" / options.get("id", options["target"].strip("/"))
                cache.mkdir(parents=True, exist_ok=True)
                command = command.replace(options["target"], str(cache))
        result = subprocess.run(["sh", "-c", command], cwd=self.host(self.stage_root, workdir),
                                env=dict(self.env, **variables), capture_output=True, text=True, timeout=900)
        assert result.returncode == 0, f"RUN {command}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"

    def copy(self, copy: df.Copy, source_root: Path, target_root: Path, workdir: str) -> None:
        destination = self.host(target_root, str(Path(workdir, copy.destination)))
        into_folder = copy.destination.endswith("/") or len(copy.sources) > 1
        for source in copy.sources:
            origin = self.host(source_root, source) if copy.from_stage else source_root / source
            assert origin.exists(), f"COPY {source}: missing ({origin})"
            if origin.is_dir():
                # COPY of a folder copies its contents into the destination.
                shutil.copytree(origin, destination, dirs_exist_ok=True, symlinks=True)
            else:
                target = destination / origin.name if into_folder else destination
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(origin, target)

    def lay_out_final_stage(self) -> tuple[Path, dict, list[str]]:
        """Only the final stage's COPYs, into an empty folder; returns (workdir, ENV, CMD)."""
        final = self.stages[-1]
        workdir = final.workdir()
        self.host(self.final_root, workdir).mkdir(parents=True, exist_ok=True)
        for instruction in final.all("COPY"):
            copy = df.parse_copy(instruction)
            assert copy.from_stage, f"final stage copies from the context: {instruction.args}"
            self.copy(copy, self.stage_root, self.final_root, workdir)
        return self.host(self.final_root, workdir), final.env(), df.exec_form(final.all("CMD")[-1])


def build_context(project: Path, context: Path, target: Path) -> Path:
    """The files `docker build` would send: the context folder filtered by its .dockerignore."""
    for relative in df.context_files(context, project / ".dockerignore" if context == project
                                     else context / ".dockerignore"):
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(context / relative, target / relative)
    return target


def install_like_the_user(project: Path, package_manager: str, env: dict) -> None:
    """The developer's first install writes the lockfile the Dockerfile requires (only the lockfile here)."""
    command = (["pnpm", "install", "--lockfile-only"] if package_manager == "pnpm"
               else ["npm", "install", "--package-lock-only", "--no-audit", "--no-fund"])
    result = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
