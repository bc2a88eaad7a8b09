import json
import subprocess
import sys
import tempfile
from pathlib import Path

from agencies.audit_query import chain_head
from agencies.models import AccessEvent
from tests.oversight.helpers import OversightPersonas

VERIFIER = Path(__file__).resolve().parents[2] / "agencies" / "verify_export.py"


class AuditExportTests(OversightPersonas):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        for hours_ago in range(6, 0, -1):
            cls.line(cls.dispatcher, AccessEvent.Action.VIEW_START, cls.live_camera, hours_ago=hours_ago,
                     purpose="watching Ünïcode street", case_number=f"C-{hours_ago}")  # fmt: skip

    def export(self) -> bytes:
        response = self.api(self.auditor).get("/api/v1/audit/export/")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "application/jsonl")
        return b"".join(response.streaming_content)

    def verify(self, content: bytes, *args) -> subprocess.CompletedProcess:
        path = Path(self.enterContext(tempfile.TemporaryDirectory())) / "audit.jsonl"
        path.write_bytes(content)
        # No project on the path, no Django: `-I` isolates from the environment and site-packages.
        return subprocess.run(
            [sys.executable, "-I", "-S", str(VERIFIER), str(path), *args],
            capture_output=True, text=True, cwd=path.parent, timeout=30,
        )  # fmt: skip

    def test_an_untampered_export_verifies_and_ends_at_the_published_head(self):
        head = chain_head(self.riverside)
        result = self.verify(self.export(), "--head", head.head)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertEqual(
            result.stdout.splitlines(), [f"verified 6 rows, head {head.head}", "the published head is row 6"]
        )

    def test_one_changed_byte_is_named_by_its_row(self):
        lines = self.export().splitlines(keepends=True)
        for row, where in ((4, b"C-3"), (2, b'"digest":"'), (5, b"u00d")):
            with self.subTest(row=row):
                tampered = list(lines)
                at = tampered[row - 1].index(where) + len(where) - 1
                changed = bytearray(tampered[row - 1])
                changed[at] ^= 0x01
                tampered[row - 1] = bytes(changed)
                result = self.verify(b"".join(tampered))
                self.assertEqual(result.returncode, 1, result.stdout)
                self.assertTrue(result.stdout.startswith(f"row {row} is broken"), result.stdout)

    def test_a_dropped_row_is_found(self):
        lines = self.export().splitlines(keepends=True)
        result = self.verify(b"".join(lines[:2] + lines[3:]))
        self.assertEqual(result.returncode, 1)
        self.assertTrue(result.stdout.startswith("row 3 is broken"), result.stdout)

    def test_a_head_other_than_the_published_one_fails(self):
        result = self.verify(self.export(), "--head", "f" * 64)
        self.assertEqual(result.returncode, 1)

    def test_the_export_content_is_what_each_digest_covers(self):
        event = AccessEvent.objects.filter(agency=self.riverside).order_by("sequence").first()
        first = json.loads(self.export().splitlines()[0])
        self.assertEqual(first["content"], event.canonical_content())
        self.assertEqual((first["previous_digest"], first["digest"]), (event.previous_digest, event.digest))

    def test_dispatchers_cannot_export(self):
        self.assertEqual(self.api(self.dispatcher).get("/api/v1/audit/export/").status_code, 403)
