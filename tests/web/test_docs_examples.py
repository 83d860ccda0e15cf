"""Every curl example of the docs site runs against a real server (sandbox engine, both
databases) and answers what its page says: the status written next to it, and exactly the
keys of the JSON shown after it. Each page runs in order, as a reader would go through it,
from what its first lines say it expects (an account; a linked device)."""

from pathlib import Path

import pytest

from tests.support import Api, Deployment, unique_phone
from tests.web.docs_examples import LANGUAGES, PAGES, Example, Reader, examples
from tests.webhooks.receiver import running_receiver

# What each page expects the reader to have already (its opening lines say so).
ACCOUNT = "account"
LINKED_DEVICE = "linked device"
ADMIN = "admin"
EXPECTS = {"start": None, "devices": ACCOUNT, "people": LINKED_DEVICE, "messages": LINKED_DEVICE,
           "chats": LINKED_DEVICE, "groups": LINKED_DEVICE, "webhooks": LINKED_DEVICE,
           "stream": ACCOUNT, "outputs": ADMIN, "accounts": None, "sandbox": ACCOUNT}


def _reader(api: Api, page: str, folder: Path, webhook_url: str,
            deployment: Deployment) -> Reader:
    reader = Reader(api.url, folder, webhook_url)
    reader.variables["PHONE"] = unique_phone()  # a number the examples work with
    if EXPECTS[page] is not None:
        token, user = api.register()
        reader.variables["TOKEN"] = token
    if EXPECTS[page] == ADMIN:
        deployment.cli("users", "set-admin", user["email"])
    if EXPECTS[page] == LINKED_DEVICE:
        device = api.linked_device(reader.variables["TOKEN"])
        reader.variables.update(ID=device["id"], DEVICE_ID=device["deviceId"])
    return reader


def _run(api: Api, page: str, folder: Path, chosen: list[Example],
         deployment: Deployment) -> None:
    with running_receiver() as receiver:
        reader = _reader(api, page, folder, receiver.url, deployment)
        for example in chosen:
            reader.check(example)


@pytest.mark.parametrize("page", PAGES)
def test_the_examples_of_a_page_answer_as_it_says(api: Api, page: str, tmp_path: Path,
                                                  shared_deployment: Deployment) -> None:
    chosen = examples(page)
    assert chosen, f"{page} shows no curl example"
    _run(api, page, tmp_path, chosen, shared_deployment)


@pytest.mark.parametrize("page", PAGES)
def test_both_languages_show_the_same_examples(page: str) -> None:
    indonesian, english = (examples(page, language) for language in LANGUAGES)
    assert [(e.normalized(), e.status, e.shown is None) for e in english] == [
        (e.normalized(), e.status, e.shown is None) for e in indonesian]
