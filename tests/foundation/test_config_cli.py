"""`bookflow config apply|export`: validation names the file and the path, and nothing is half-saved."""

from pathlib import Path

import yaml
from typer.testing import CliRunner

from worker.cli import app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "config.yaml"


def run(*args: str, data_dir: Path):
    return CliRunner().invoke(app, [*args, "--data-dir", str(data_dir)])


def test_examples_apply_and_export_round_trip(tmp_path):
    applied = run("config", "apply", str(EXAMPLES), data_dir=tmp_path)
    assert applied.exit_code == 0, applied.output
    counts = "2 users, 4 event types, 2 schedules, 0 out-of-office entries, 2 attributes, 2 routing forms"
    assert counts in applied.output
    exported = run("config", "export", data_dir=tmp_path)
    assert exported.exit_code == 0
    original = yaml.safe_load(EXAMPLES.read_text())
    slugs = [e["slug"] for e in yaml.safe_load(exported.output)["eventTypes"]]
    assert slugs == [e["slug"] for e in original["eventTypes"]]


def test_invalid_file_is_refused_with_file_and_path_and_saves_nothing(tmp_path):
    document = yaml.safe_load(EXAMPLES.read_text())
    document["eventTypes"][1]["lengthInMinutes"] = 0
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(document))
    result = run("config", "apply", str(broken), data_dir=tmp_path)
    assert result.exit_code == 2
    assert f"{broken}: eventTypes.1.lengthInMinutes: Input should be greater than or equal to 1" in result.output
    exported = run("config", "export", data_dir=tmp_path)
    assert not any(yaml.safe_load(exported.output).values())  # every section empty


def test_unknown_host_is_refused_before_anything_is_saved(tmp_path):
    document = yaml.safe_load(EXAMPLES.read_text())
    document["eventTypes"][2]["hosts"] = [{"userId": 9}]
    broken = tmp_path / "hosts.yaml"
    broken.write_text(yaml.safe_dump(document))
    result = run("config", "apply", str(broken), data_dir=tmp_path)
    assert result.exit_code == 2
    assert "eventTypes.2.hosts.0.userId: user 9 is not defined" in result.output
    assert yaml.safe_load(run("config", "export", data_dir=tmp_path).output)["users"] == []
