"""Every `mlanim` command the README shows runs as written (in a scratch copy of scenes/)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # runs the README's commands and Python

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def readme_commands() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", README, flags=re.S)
    lines = [line.split("  #")[0].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line.startswith("mlanim ")]


def test_readme_opens_with_the_two_commands():
    first_block = re.search(r"```bash\n(.*?)```", README, flags=re.S).group(1)
    assert [line.split("#")[0].strip() for line in first_block.splitlines()] == \
        ["make demo", "make test"]


def test_readme_commands_run(tmp_path):
    """The first command records the quickstart's trace; the rest, which read it from the
    cache, run in two queues at once: renders that write the spec's own outputs in one, in
    order (never two writers of one file at once), the others in the other, in order
    (``mlanim inspect`` reads what ``mlanim trace`` wrote)."""
    first, *rest = readme_commands()
    assert len(rest) >= 5
    shutil.copytree(ROOT / "scenes", tmp_path / "scenes")
    mlanim = str(Path(sys.executable).with_name("mlanim"))
    env = dict(os.environ, MLANIM_CACHE_DIR=str(tmp_path / "cache"))

    def run(commands: list[str]) -> list[str]:
        failed = []
        for command in commands:
            done = subprocess.run(command.replace("mlanim ", f"{mlanim} ", 1), shell=True,
                                  cwd=tmp_path, env=env, capture_output=True, text=True,
                                  check=False)
            if done.returncode != 0:
                failed.append(f"`{command}` exited {done.returncode}: {done.stderr[-500:]}")
        return failed

    assert run([first]) == []
    named = ("--at", "--frames", "--format", "--out", "-f ")
    own = [c for c in rest if c.startswith("mlanim render ") and not any(n in c for n in named)]
    queues = [own, [command for command in rest if command not in own]]
    with ThreadPoolExecutor(2) as pool:
        failed = [line for found in pool.map(run, queues) for line in found]
    assert not failed, "\n".join(failed)
    assert (tmp_path / "outputs" / "quickstart.mp4").exists()
    assert (tmp_path / "runs" / "quickstart.mlanim").exists()


def test_readme_python_runs(tmp_path):
    """The README's Python blocks, in order, as one script (later blocks use earlier names)."""
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    assert blocks and "mlanim.watch" in blocks[0]
    shutil.copytree(ROOT / "scenes", tmp_path / "scenes")
    (tmp_path / "readme.py").write_text("\n".join(blocks))
    env = dict(os.environ, MLANIM_CACHE_DIR=str(tmp_path / "cache"))
    done = subprocess.run([sys.executable, "readme.py"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-1500:]
    assert (tmp_path / "runs" / "mine.mlanim").is_file()
    assert (tmp_path / "outputs" / "mine_decision_boundary.gif").is_file()
    assert (tmp_path / "outputs" / "quickstart.png").is_file()
