"""Uploading through ``files.getUploadURLExternal``/``completeUploadExternal``, and private
downloads that need a token of the file's workspace."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from slack_scenario import Practice, a_practice
from slack_sdk.errors import SlackApiError

from sandbox.slack import SlackStandIn

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"


def _error(call: Callable[[], object]) -> str:
    """The error Slack answers `call` with."""
    with pytest.raises(SlackApiError) as raised:
        call()
    return str(raised.value.response["error"])


def _download(url: str, token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(url, headers=headers, follow_redirects=False)


def test_an_upload_round_trip_shares_the_file_in_the_channel(
    slack: SlackStandIn, practice: Practice
) -> None:
    uploaded = practice.client.files_upload_v2(
        channel=practice.billing.id,
        content=PDF,
        filename="INV-0001.pdf",
        title="Invoice INV-0001",
        initial_comment="Invoice for January",
    )

    file = practice.client.files_info(file=uploaded["file"]["id"])["file"]
    [share] = slack.messages_in(practice.billing)
    assert uploaded["file"]["title"] == "Invoice INV-0001"
    assert file["name"] == "INV-0001.pdf"
    assert file["mimetype"] == "application/pdf"
    assert file["size"] == len(PDF)
    assert file["channels"] == [practice.billing.id]
    assert share.text == "Invoice for January"
    assert share.files == [file["id"]]
    methods = [call.method for call in slack.calls()]
    assert methods == ["files.getUploadURLExternal", "files.completeUploadExternal", "files.info"]


def test_a_private_download_needs_a_token_of_the_files_workspace(
    slack: SlackStandIn, practice: Practice
) -> None:
    other = a_practice(slack, "Harbor Physio")
    uploaded = practice.client.files_upload_v2(content=PDF, filename="INV-0001.pdf")
    url = practice.client.files_info(file=uploaded["file"]["id"])["file"]["url_private_download"]

    anonymous = _download(url)
    foreign = _download(url, other.installation.bot_token)
    own = _download(url, practice.installation.bot_token)

    assert anonymous.status_code == foreign.status_code == 302
    assert anonymous.headers["Location"].startswith(f"{slack.base_url}/signin")
    assert own.status_code == 200
    assert own.content == PDF
    assert own.headers["Content-Type"] == "application/pdf"


def test_a_file_a_user_uploaded_is_served_to_the_bot(
    slack: SlackStandIn, practice: Practice
) -> None:
    logo = slack.host_file(practice.admin, "logo.png", b"\x89PNG\r\n\x1a\n")

    file = practice.client.files_info(file=logo.id)["file"]
    served = _download(file["url_private"], practice.installation.bot_token)

    assert file["user"] == practice.admin.id
    assert file["mimetype"] == "image/png"
    assert served.content == b"\x89PNG\r\n\x1a\n"


def test_completing_an_upload_that_never_happened_is_file_not_found(practice: Practice) -> None:
    ticket = practice.client.files_getUploadURLExternal(filename="a.pdf", length=3)

    with pytest.raises(SlackApiError) as raised:
        practice.client.files_completeUploadExternal(
            files=[{"id": ticket["file_id"], "title": "A"}]
        )

    assert raised.value.response["error"] == "file_not_found"


def _modal_with_image(file_id: str) -> dict[str, object]:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Invoice settings"},
        "blocks": [
            {"type": "image", "slack_file": {"id": file_id}, "alt_text": "A sample invoice"}
        ],
    }


def test_a_modal_shows_an_image_the_app_uploaded_but_not_a_missing_or_foreign_one(
    slack: SlackStandIn, practice: Practice
) -> None:
    other = a_practice(slack, "Harbor Physio")
    ours = practice.client.files_upload_v2(content=b"\x89PNG\r\n\x1a\n", filename="p.png")
    theirs = other.client.files_upload_v2(content=b"\x89PNG\r\n\x1a\n", filename="p.png")
    not_an_image = practice.client.files_upload_v2(content=PDF, filename="INV-0001.pdf")

    opened = practice.client.views_open(
        trigger_id=slack.trigger_for(practice.admin),
        view=_modal_with_image(ours["file"]["id"]),
    )
    refused = []
    for file_id in (theirs["file"]["id"], not_an_image["file"]["id"], "F0MISSING"):
        with pytest.raises(SlackApiError) as raised:
            practice.client.views_update(
                view_id=opened["view"]["id"], view=_modal_with_image(file_id)
            )
        refused.append(raised.value.response["error"])

    assert opened["ok"]
    assert refused == ["invalid_arguments"] * 3


def test_the_bot_deletes_its_own_file_and_it_leaves_the_channel(
    slack: SlackStandIn, practice: Practice
) -> None:
    uploaded = practice.client.files_upload_v2(
        channel=practice.billing.id, content=PDF, filename="INV-0001.pdf"
    )
    file_id = uploaded["file"]["id"]
    url = practice.client.files_info(file=file_id)["file"]["url_private_download"]

    practice.client.files_delete(file=file_id)

    again = _error(lambda: practice.client.files_delete(file=file_id))
    info = _error(lambda: practice.client.files_info(file=file_id))
    assert again == info == "file_deleted"
    assert _download(url, practice.installation.bot_token).status_code == 404
    # Its share had nothing else to show, so it went with it.
    assert slack.messages_in(practice.billing) == []


def test_the_bot_cannot_delete_a_persons_file_nor_another_workspaces(
    slack: SlackStandIn, practice: Practice
) -> None:
    other = a_practice(slack, "Harbor Physio")
    theirs = slack.host_file(practice.admin, "notes.pdf", PDF)
    foreign = other.client.files_upload_v2(content=PDF, filename="x.pdf")["file"]["id"]

    refused = _error(lambda: practice.client.files_delete(file=theirs.id))
    unknown = _error(lambda: practice.client.files_delete(file=foreign))

    assert refused == "cant_delete_file"
    assert unknown == "file_not_found"


def test_a_person_deleting_a_file_keeps_the_words_of_the_message_that_shared_it(
    slack: SlackStandIn, practice: Practice
) -> None:
    steps = slack.host_file(practice.admin, "steps.pdf", PDF)
    said = slack.post_message(practice.admin, practice.billing, "Steps attached", files=[steps])
    alone = slack.host_file(practice.admin, "alone.pdf", PDF)
    only_file = slack.post_message(practice.admin, practice.billing, "", files=[alone])

    slack.delete_file(practice.admin, steps)
    slack.delete_file(practice.admin, alone)

    assert (said.deleted, said.files, said.text) == (False, [], "Steps attached")
    assert only_file.deleted
    with pytest.raises(ValueError, match="may not delete"):
        slack.delete_file(practice.staff, slack.host_file(practice.admin, "mine.pdf", PDF))
