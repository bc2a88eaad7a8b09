import json
import subprocess
import sys
import tempfile
from pathlib import Path

from agencies.models import AccessEvent, AuditChain
from tests.oversight.helpers import OversightPersonas

VERIFIER = Path(__file__).resolve().parents[2] / "agencies" / "verify_export.py"


class DailyHeadTests(OversightPersonas):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        # Three lines five days ago, none for the next three days, two in the last day.
        for hours_ago in (5 * 24 + 2, 5 * 24 + 1, 5 * 24, 2, 1):
            cls.line(cls.dispatcher, AccessEvent.Action.VIEW_START, cls.live_camera, hours_ago=hours_ago)

    def heads(self):
        response = self.client.get("/transparency/riverside-pd/heads.json")
        self.assertEqual(response.status_code, 200)
        return response.json()["heads"]

    def test_each_day_publishes_the_last_line_written_by_its_end(self):
        heads = self.heads()
        self.assertEqual(len(heads), 30)
        by_rows = {head["rows"]: head["head"] for head in heads}
        digests = dict(AccessEvent.objects.filter(agency=self.riverside).values_list("sequence", "digest"))
        self.assertEqual(heads[0]["head"], AuditChain.objects.get(key=f"agency-{self.riverside.pk}").head)
        self.assertIn(3, by_rows)
        self.assertEqual(by_rows[3], digests[3])
        # Days without a line repeat the head before them; days before any line show the genesis.
        self.assertEqual(heads[-1], {"day": heads[-1]["day"], "rows": 0, "head": "0" * 64})
        self.assertEqual([h["rows"] for h in heads], sorted((h["rows"] for h in heads), reverse=True))

    def test_a_later_export_contains_an_earlier_published_head(self):
        earlier = next(head for head in self.heads() if head["rows"] == 3)
        self.client.force_login(self.auditor)
        export = b"".join(self.client.get("/api/v1/audit/export/").streaming_content)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "audit.jsonl"
            path.write_bytes(export)
            result = subprocess.run(
                [sys.executable, "-I", "-S", str(VERIFIER), str(path), "--head", earlier["head"]],
                capture_output=True, text=True, timeout=30,
            )  # fmt: skip
        self.assertEqual(result.returncode, 0, result.stdout)
        self.assertIn("the published head is row 3", result.stdout)
        self.assertEqual(json.loads(export.splitlines()[2])["digest"], earlier["head"])

    def test_the_page_shows_the_heads(self):
        self.assertContains(self.client.get("/transparency/riverside-pd/heads"), self.heads()[0]["head"])
