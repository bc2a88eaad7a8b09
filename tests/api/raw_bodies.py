"""Raw request bodies a hostile client sends, and the 4xx with a reason each must get."""


def assert_raw_bodies_answered(test, client, path: str, cases) -> None:
    """POST each `(body, status, reason)` as JSON bytes: the answer has that status and names the reason."""
    for body, status, reason in cases:
        with test.subTest(body=body[:40]):
            response = client.generic("POST", path, body, content_type="application/json")
            test.assertEqual(response.status_code, status, response.content[:300])
            test.assertIn(reason, response.content.decode())
