import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ["rtcc", "agencies", "cameras", "devices", "billing"]
# The project's own variables: every env_* reader, and RTCC_* read directly (HOME, PATH and
# the like belong to the operating system).
READERS = re.compile(
    r"""env_(?:str|bool|int|list|networks|url)\(\s*"([A-Z0-9_]+)"|os\.environ\.get\(\s*"(RTCC_[A-Z0-9_]+)\""""
)


def test_readme_opens_with_the_two_commands():
    head = (ROOT / "README.md").read_text()[:400]
    assert "make demo" in head and "make test" in head


def test_every_environment_variable_is_documented():
    readme = (ROOT / "README.md").read_text()
    sources = [path for app in APPS for path in (ROOT / app).rglob("*.py")]
    names = {a or b for path in sources for a, b in READERS.findall(path.read_text())}
    assert "DATABASE_URL" in names
    missing = sorted(name for name in names if f"`{name}`" not in readme)
    assert missing == [], f"add these to the configuration table in README.md: {missing}"
