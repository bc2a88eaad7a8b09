import datetime

from django.utils import timezone

from agencies.models import AccessEvent
from agencies.services import do_record_access
from cameras.viewing.models import ViewingSession
from tests.personas import Personas


class TransparencyPageTests(Personas):
    def test_viewing_counts_sessions_not_tile_openings(self):
        started = timezone.now() - datetime.timedelta(hours=3)
        ViewingSession.objects.create(
            user=self.dispatcher, agency=self.riverside, camera=self.live_camera, purpose="p",
            case_number="26-1", started_at=started, expires_at=started + datetime.timedelta(hours=4),
            ended_at=started + datetime.timedelta(hours=1, minutes=30),
        )  # fmt: skip
        for _reopened in range(7):
            do_record_access(
                self.dispatcher, AccessEvent.Action.VIEW_START, self.live_camera, case_number="26-1"
            )
        figures = next(
            f for f in self.client.get("/transparency/").context["agencies"] if f["agency"] == self.riverside
        )
        self.assertEqual((figures["viewing_sessions"], figures["viewing_hours"]), (1, 1.5))

    def test_the_page_links_each_agencys_annual_reports(self):
        self.assertContains(
            self.client.get("/transparency/"), f"/transparency/riverside-pd/report/{timezone.now().year}"
        )
